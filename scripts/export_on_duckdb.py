"""Runs modelplay's Redshift export on DuckDB, one deploy at a time, and prints every table
and view it leaves, for the export equivalence test to hold against modelplay's own build.

Each call is one load of the raw files: the sources are emptied and filled from each
source's latest file at or before AS_OF (as a loader would), then the export's deploy.sql
runs statement by statement, translated by sqlglot as bench/duckdb_baseline.py does, with
getdate() as RUN_TIME. The database file persists between calls, so a second call with a
change deploy (`modelplay export --state ... --select '*'`) runs against what the first
left: tables swapped, incremental models merged, snapshots merged.

Usage:
    python3 export_on_duckdb.py PROJECT_DIR SOURCES_EXPORT_DIR DB_FILE EXPORT_DIR AS_OF RUN_TIME
SOURCES_EXPORT_DIR is a first deploy's export (its sources/ hold each source's table).
Prints JSON: {"schema.table": {"columns": [...], "rows": [[...], ...]}, ...}, values as text.
"""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import duckdb  # noqa: E402
import duckdb_baseline as base  # noqa: E402

CREATE_SOURCE = re.compile(r'create table if not exists "([^"]+)"\."([^"]+)" \((.*?)\n\);', re.S)
LOADED_AT = re.compile(r'"([^"]+)" timestamp default getdate\(\)')
# A source kept in another database than the models' (the export says where to run it).
ELSEWHERE = re.compile(r'^-- In database "([^"]+)"', re.M)


def source_tables(export_dir: Path) -> list[dict]:
    """Each source's table: schema, name, its create statement and its load-time column."""
    out = []
    for f in sorted((export_dir / "sources").glob("*.sql")):
        text = f.read_text()
        m = CREATE_SOURCE.search(text)
        if not m:
            continue
        source_name, table = f.stem.split("__", 1)
        loaded_at = LOADED_AT.search(text)
        elsewhere = ELSEWHERE.search(text)
        out.append({
            "database": elsewhere.group(1) if elsewhere else "dev",
            "schema": m.group(1), "table": m.group(2), "source": source_name, "file_table": table,
            "create": m.group(0).replace(" default getdate()", ""),
            "loaded_at": loaded_at.group(1) if loaded_at else None,
        })
    return out


def load_at(project: Path, source: str, table: str, as_of: str):
    loads = []
    for f in (project / "data" / source / table).glob("*.csv"):
        t = base.load_time(f.stem)
        if t and t <= as_of:
            loads.append((t, f))
    return max(loads) if loads else None


def utf8_copy(path: Path, scratch: Path) -> Path:
    """The file with each byte that is not UTF-8 replaced by U+FFFD, as modelplay reads it
    (and warns about); DuckDB refuses such a file."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        return path
    except UnicodeDecodeError:
        copy = scratch / path.relative_to(path.parents[2])
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(raw.decode("utf-8", errors="replace"), encoding="utf-8")
        return copy


def load_sources(con, project: Path, sources: list[dict], as_of: str, scratch: Path) -> None:
    for s in sources:
        con.execute(f'use "{s["database"]}"')
        con.execute(f'create schema if not exists "{s["schema"]}"')
        for stmt in base.translate(s["create"], as_of):
            con.execute(stmt)
        relation = f'"{s["database"]}"."{s["schema"]}"."{s["table"]}"'
        con.execute(f"delete from {relation}")
        load = load_at(project, s["source"], s["file_table"], as_of)
        if load is None:
            continue
        loaded_at, path = load
        path = utf8_copy(path, scratch)
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = ? and table_schema = ? "
            "and table_name = ? order by ordinal_position", [s["database"], s["schema"], s["table"]]).fetchall()]
        file_columns = [c for c in columns if c != s["loaded_at"]]
        cols = ", ".join(f'"{c}"' for c in file_columns)
        select = "*"
        target = cols
        if s["loaded_at"]:
            target = f'{cols}, "{s["loaded_at"]}"'
            select = f"*, timestamp '{loaded_at}'"
        con.execute(
            f"insert into {relation} ({target}) select {select} from read_csv('{path}', header = true, "
            f"all_varchar = true, allow_quoted_nulls = false, auto_detect = true)")


# Redshift's DDL that DuckDB has no words for, and how the statement runs without it.
SKIPPED = re.compile(r"(?is)^\s*(grant|revoke|set query_group|analyze|vacuum)\b")
NO_BINDING = re.compile(r"(?i)\)\s*with no schema binding;$")
# A materialized view's options (backup, keys, auto refresh) between its name and `as (`.
MATERIALIZED_VIEW = re.compile(r"(?is)^create materialized view (\S+)\s.*?\bas \(")
# Constraints Redshift keeps as information only; DuckDB would enforce them.
INFORMATIONAL = re.compile(r"(?im)^\s*(constraint \S+ )?(primary key|unique|foreign key)\b.*$\n?")
INLINE_INFORMATIONAL = re.compile(r"(?i) (primary key|unique)(?=,?$)", re.M)


# A table's physical options: how Redshift stores it, nothing about its rows.
TABLE_OPTIONS = re.compile(
    r"(?im)^[ \t]*(backup (no|yes)|diststyle \w+( distkey \([^)]*\))?|distkey \([^)]*\)"
    r"|(compound |interleaved )?sortkey ?\([^)]*\)|auto refresh (yes|no))[ \t]*(;?)[ \t]*$\n?")


def for_duckdb(statement: str) -> str | None:
    """The statement as DuckDB can run it, `None` when it only means something to Redshift
    (privileges, maintenance, workload settings)."""
    if SKIPPED.match(statement):
        return None
    statement = NO_BINDING.sub(");", statement)
    statement = TABLE_OPTIONS.sub(lambda m: m.group(6), statement)
    # DuckDB has no materialized view: a view gives the rows an auto-refreshed one has.
    statement = MATERIALIZED_VIEW.sub(r"create view \1 as (", statement)
    statement = re.sub(r"(?i)^drop materialized view", "drop view", statement)
    if statement.lower().startswith("create table") and "(" in statement.split("\n", 1)[0]:
        statement = INFORMATIONAL.sub("", statement)
        statement = INLINE_INFORMATIONAL.sub("", statement)
        statement = re.sub(r",(\s*\n\))", r"\1", statement)
    return statement


def deploy(con, export_dir: Path, run_time: str) -> None:
    text = (export_dir / "deploy.sql").read_text()
    parts = base.SECTION.split(text)
    # Before the first node: the schemas, and on-run-start.
    for s in base.split_statements(parts[0]):
        s = for_duckdb(s)
        if s is not None:
            for t in base.translate(s, run_time):
                con.execute(t)
    rest = parts[1:]
    for kind, name, body in zip(rest[0::3], rest[1::3], rest[2::3]):
        if kind == "source":
            continue
        for s in base.split_statements(body):
            if s.lower() in ("begin;", "commit;"):
                continue
            if kind == "view":
                s = base.RENAME_VIEW.sub(r"alter view \1 rename to ", s)
            s = for_duckdb(s)
            if s is None:
                continue
            for t in base.translate(s, run_time):
                try:
                    con.execute(t)
                except duckdb.Error as e:
                    raise SystemExit(f"duckdb failed on {kind} {name}:\n{t}\n{e}") from e


def dump(con, skip_schemas: set[str]) -> dict:
    out = {}
    relations = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'dev' and table_schema not in ('main', 'information_schema', 'pg_catalog')"
    ).fetchall()
    for schema, table in relations:
        if schema in skip_schemas:
            continue
        # As DuckDB prints each value: no Python types (a timestamptz would need pytz).
        cur = con.execute(f'select columns(*)::varchar from dev."{schema}"."{table}"')
        columns = [d[0] for d in cur.description]
        rows = [list(r) for r in cur.fetchall()]
        out[f"{schema}.{table}"] = {"columns": columns, "rows": rows}
    return out


def main() -> None:
    project, sources_dir, db_file, export_dir, as_of, run_time = sys.argv[1:7]
    project, sources_dir, export_dir = Path(project), Path(sources_dir), Path(export_dir)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{db_file}' as dev")
    con.execute("use dev")
    sources = source_tables(sources_dir)
    for database in sorted({s["database"] for s in sources} - {"dev"}):
        con.execute(f"attach '{db_file}.{database}' as \"{database}\"")
    load_sources(con, project, sources, as_of, Path(db_file).parent / "utf8")
    con.execute("use dev")
    deploy(con, export_dir, run_time)
    print(json.dumps(dump(con, {s["schema"] for s in sources})))


if __name__ == "__main__":
    main()
