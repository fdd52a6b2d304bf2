"""Group 2's baseline: DuckDB doing the work `modelplay build` does, on the same files.

The SQL is modelplay's own Redshift export (every model, seed and snapshot, compiled, in
dependency order), translated by sqlglot's Redshift-to-DuckDB transpiler. Where the
translation falls short, the hand fixes below say what and why. Sources load from the same
CSV files, each source's latest load, as Redshift's COPY would load them (by position, empty
unquoted fields as NULL, `""` as a blank string), with the load time as the loader's column.

Usage as a script (run by bench/run in its Python environment):
    python duckdb_baseline.py EXPORT_DIR PROJECT_DIR RUN_TIME [--runs N --warmup N]
prints JSON: the median and spread of the wall time, and the rows of every table built.
"""

import json
import logging
import re
import statistics
import sys
import time
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

logging.getLogger("sqlglot").setLevel(logging.ERROR)

SECTION = re.compile(r"(?m)^-- (source|view|table|seed|snapshot|incremental|materialized_view) (\S+)$")
# A view is built as `<name>__dbt_tmp` and renamed into place with Redshift's `alter table`;
# DuckDB renames a view with `alter view`.
RENAME_VIEW = re.compile(r"(?i)^alter table (\S+) rename to ")


def load_time(stem: str) -> str | None:
    """`YYYY-MM-DD HH:MI:SS` from a load file's name, as modelplay reads it."""
    digits = "".join(c for c in stem if c.isdigit())
    if len(digits) not in (8, 12, 14):
        return None
    d = digits.ljust(14, "0")
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]} {d[8:10]}:{d[10:12]}:{d[12:14]}"


def latest_load(project: Path, source: str, table: str) -> tuple[Path, str] | None:
    loads = []
    for f in (project / "data" / source / table).glob("*.csv"):
        t = load_time(f.stem)
        if t:
            loads.append((t, f))
    if not loads:
        return None
    t, f = max(loads)
    return f, t


# Hand fixes, applied to modelplay's Redshift SQL before sqlglot translates it.
HAND_FIXES = [
    # getdate() is the run time in modelplay (so that results repeat); DuckDB gets the same
    # moment as a literal rather than its own clock.
    (re.compile(r"\bgetdate\(\)", re.I), "timestamp '{run_time}'"),
    # Redshift's `cascade` on drop table has no DuckDB counterpart needed here: nothing
    # depends on a table being rebuilt in a fresh database.
    (re.compile(r"\s+cascade;", re.I), ";"),
    # DuckDB has no ratio_to_report; it is the value over its partition's sum.
    (re.compile(r"ratio_to_report\((count\(\*\))\) over \((partition by [^)]*)\)", re.I),
     r"\1 * 1.0 / sum(\1) over (\2)"),
    # Redshift lets a select item use an earlier item's alias; DuckDB does too, unless a
    # table of the same name is in scope (`leads` in lead_source_performance), where the
    # table wins. The alias's own expression says the same thing unambiguously.
    (re.compile(r"100\.0 \* connected / leads\b"), "100.0 * connected / count(*)"),
]


def split_statements(body: str) -> list[str]:
    """Statements of one section: modelplay writes each one ending in `;` at a line end."""
    out, current = [], []
    for line in body.splitlines():
        if line.startswith("--") and not current:
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(current).strip())
            current = []
    rest = "\n".join(current).strip()
    if rest:
        out.append(rest)
    return out


def replace_every_match(node: exp.Expression) -> exp.Expression:
    """Redshift's regexp_replace replaces every match; DuckDB's only the first, unless told
    `g`. sqlglot keeps the call as it is, so the flag is added here."""
    if isinstance(node, exp.RegexpReplace) and not node.args.get("modifiers"):
        node.set("modifiers", exp.Literal.string("g"))
    return node


def translate(sql: str, run_time: str) -> list[str]:
    for pattern, replacement in HAND_FIXES:
        sql = pattern.sub(replacement.format(run_time=run_time), sql)
    trees = sqlglot.parse(sql, read="redshift")
    return [t.transform(replace_every_match).sql(dialect="duckdb") for t in trees if t is not None]


def source_load(stmts: list[str], name: str, project: Path, file_name=str) -> list[str]:
    """The source's table as DuckDB SQL, filled from its latest load instead of S3."""
    schema, table = name.split(".", 1)
    create = next(s for s in stmts if s.lower().startswith("create table"))
    copy = next(s for s in stmts if s.lower().startswith("copy "))
    columns = re.search(r"\((.*?)\)\s*from", copy, re.S | re.I)
    out = [s.replace(" default getdate()", "") for s in translate(create, "")]
    load = latest_load(project, schema, table)
    if load is None or columns is None:
        return out
    path, loaded_at = load
    cols = columns.group(1)
    out.append(
        f'insert into "{schema}"."{table}" ({cols}, "_fivetran_synced") '
        f"select *, timestamp '{loaded_at}' from read_csv('{file_name(path)}', header = true, all_varchar = true, "
        f"allow_quoted_nulls = false, auto_detect = true)"
    )
    return out


def statements(export_dir: Path, project: Path, run_time: str, sources_only: bool = False,
               file_name=str) -> list[str]:
    """Every statement to run, in order (or only those that load the sources)."""
    text = (export_dir / "deploy.sql").read_text()
    parts = SECTION.split(text)
    preamble, rest = parts[0], parts[1:]
    out = ["attach ':memory:' as dev", "use dev"]
    for s in split_statements(preamble):
        if s.lower().startswith("create schema"):
            out.extend(translate(s, run_time))
    for kind, name, body in zip(rest[0::3], rest[1::3], rest[2::3]):
        stmts = [s for s in split_statements(body) if s.lower() not in ("commit;", "begin;")]
        if kind == "source":
            out.extend(source_load(stmts, name, project, file_name))
            continue
        if sources_only:
            continue
        for s in stmts:
            if kind == "view":
                s = RENAME_VIEW.sub(r"alter view \1 rename to ", s)
            out.extend(translate(s, run_time))
    return out


def browser_plan(export_dir: Path, project: Path, run_time: str) -> dict:
    """The statements for DuckDB-Wasm, reading each CSV by a name the page registers, and
    the files behind those names."""
    files: dict[str, str] = {}

    def file_name(path: Path) -> str:
        name = "/".join(path.relative_to(project).parts)
        files[name] = str(path)
        return name

    stmts = statements(export_dir, project, run_time, file_name=file_name)
    return {"statements": stmts, "files": files}


def run_once(stmts: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for s in stmts:
        try:
            con.execute(s)
        except duckdb.Error as e:
            raise SystemExit(f"duckdb failed on:\n{s}\n{e}") from e
    return con


def table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'dev' and table_type = 'BASE TABLE'"
    ).fetchall()
    return {f"{s}.{t}": con.execute(f'select count(*) from dev."{s}"."{t}"').fetchone()[0] for s, t in tables}


def main() -> None:
    export_dir, project, run_time = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 1
    warmup = int(sys.argv[sys.argv.index("--warmup") + 1]) if "--warmup" in sys.argv else 0
    start = time.perf_counter()
    stmts = statements(export_dir, project, run_time)
    translate_s = time.perf_counter() - start
    for _ in range(warmup):
        run_once(stmts)
    walls = []
    con = None
    for _ in range(runs):
        t = time.perf_counter()
        con = run_once(stmts)
        walls.append(time.perf_counter() - t)
    print(json.dumps({
        "median_s": statistics.median(walls),
        "spread_s": max(walls) - min(walls),
        "runs": runs,
        "translate_s": translate_s,
        "statements": len(stmts),
        "rows": table_rows(con) if con else {},
        "duckdb": duckdb.__version__,
        "sqlglot": sqlglot.__version__,
    }))


if __name__ == "__main__":
    main()
