"""Groups 3 and 5's baseline: dbt-core with the dbt-duckdb adapter.

Group 3 (`dbt build` of the sample project): dbt cannot run the sample's Redshift SQL on
DuckDB as written (getdate, datediff(day, ...), nvl, ratio_to_report, regexp_count...). So
the project dbt builds is made from modelplay's compiled SQL for every node, translated to
DuckDB by the same translator as group 2 (duckdb_baseline.py), with each relation turned
back into `ref()` or `source()` so that dbt plans the same DAG: the same models with the
same materializations, seeds, snapshots (dbt's own snapshot logic), and every test as a
singular test with its severity. It favours dbt: its Jinja has no macros left to expand.
Sources are loaded into the DuckDB file before dbt starts, as a loader would have.

Group 5 (compile only): `dbt parse` plus `dbt compile` of the generated 1,000-model project,
which is plain Jinja and runs on DuckDB as it is.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import duckdb_baseline  # noqa: E402

PROFILE = "bench"
THREADS = 4


def write_profile(folder: Path, database: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(
        f"{PROFILE}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{database}'\n      schema: analytics\n      threads: {THREADS}\n"
    )
    return folder


def dbt(bin_dir: Path, args: list[str], project: Path, profiles: Path) -> tuple[float, str]:
    """Wall seconds of one dbt command (process start included), and what it printed."""
    cmd = [str(bin_dir / "dbt"), *args, "--project-dir", str(project), "--profiles-dir", str(profiles)]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}")
    return wall, out.stdout


def as_jinja(sql: str, relations: dict[str, str]) -> str:
    for relation, call in relations.items():
        sql = sql.replace(relation, call)
    return sql


def config_call(options: dict) -> str:
    args = ", ".join(f"{k}={json.dumps(v) if not isinstance(v, bool) else str(v)}" for k, v in options.items() if v is not None)
    return "{{ config(" + args + ") }}"


def dbt_project(modelplay_project: Path, out: Path, run_time: str) -> Path:
    """The dbt-duckdb project for the sample; modelplay's manifest (from `modelplay compile`)
    must be in the project's target/ folder."""
    manifest = json.loads((modelplay_project / "target/manifest.json").read_text())
    if out.exists():
        shutil.rmtree(out)
    for d in ("models", "snapshots", "seeds", "tests", "macros"):
        (out / d).mkdir(parents=True)
    name = manifest["metadata"].get("project_name") or "brightwheel"
    (out / "dbt_project.yml").write_text(
        f"name: {name}\nversion: '1.0.0'\nconfig-version: 2\nprofile: {PROFILE}\n"
    )
    # Relations keep modelplay's schema names exactly.
    (out / "macros/generate_schema_name.sql").write_text(
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
        "{{ custom_schema_name | trim if custom_schema_name else target.schema }}\n{%- endmacro %}\n"
    )
    relations = {}
    for s in manifest["sources"].values():
        relations[s["relation_name"]] = "{{ source('%s', '%s') }}" % (s["source_name"], s["name"])
    for n in manifest["nodes"].values():
        if n["resource_type"] in ("model", "seed", "snapshot") and n.get("relation_name"):
            relations[n["relation_name"]] = "{{ ref('%s') }}" % n["name"]
    sources_yml = {}
    for s in manifest["sources"].values():
        sources_yml.setdefault(s["source_name"], {"name": s["source_name"], "schema": s["schema"], "tables": []})
        sources_yml[s["source_name"]]["tables"].append({"name": s["name"]})
    (out / "models/sources.yml").write_text(json.dumps({"version": 2, "sources": list(sources_yml.values())}, indent=1))
    seeds_yml = []

    def sql_of(node: dict) -> str:
        translated = duckdb_baseline.translate(node["compiled_code"], run_time)
        return as_jinja(";\n".join(translated), relations)

    for n in manifest["nodes"].values():
        kind, cfg = n["resource_type"], n["config"]
        if kind == "model" and cfg.get("materialized") != "ephemeral":
            head = config_call({"materialized": cfg.get("materialized", "view"), "schema": n["schema"]})
            (out / f"models/{n['name']}.sql").write_text(f"{head}\n{sql_of(n)}\n")
        elif kind == "snapshot":
            keys = ("unique_key", "strategy", "updated_at", "check_cols", "invalidate_hard_deletes")
            head = config_call({"target_schema": n["schema"], **{k: cfg.get(k) for k in keys}})
            (out / f"snapshots/{n['name']}.sql").write_text(
                f"{{% snapshot {n['name']} %}}\n{head}\n{sql_of(n)}\n{{% endsnapshot %}}\n"
            )
        elif kind == "seed":
            shutil.copy(modelplay_project / n["original_file_path"], out / f"seeds/{n['name']}.csv")
            seeds_yml.append({"name": n["name"], "config": {"schema": n["schema"], "column_types": cfg.get("column_types") or {}}})
        elif kind == "test":
            head = config_call({"severity": cfg.get("severity", "error").lower()})
            (out / f"tests/{n['name']}.sql").write_text(f"{head}\n{sql_of(n)}\n")
    (out / "seeds/seeds.yml").write_text(json.dumps({"version": 2, "seeds": seeds_yml}, indent=1))
    return out


def load_sources(database: Path, export_dir: Path, modelplay_project: Path, run_time: str) -> None:
    """The raw tables, as the loader leaves them before dbt runs."""
    stmts = duckdb_baseline.statements(export_dir, modelplay_project, run_time, sources_only=True)
    if database.exists():
        database.unlink()
    con = duckdb.connect(str(database))
    for s in stmts:
        if not s.lower().startswith(("attach", "use ")):
            con.execute(s)
    con.close()


def statuses(project: Path) -> dict[str, int]:
    results = json.loads((project / "target/run_results.json").read_text())["results"]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts
