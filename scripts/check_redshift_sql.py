#!/usr/bin/env python3
"""Parses every .sql file below a folder with sqlglot's Redshift dialect.

A parse error fails the check, and so does a statement sqlglot only keeps as an opaque
command, except for the syntax listed in KNOWN_UNSUPPORTED (sqlglot does not model it).
Exit status 0 when every statement parsed.
"""
import logging
import pathlib
import sys

import sqlglot
from sqlglot import exp

KNOWN_UNSUPPORTED = ("interleaved sortkey",)


def main(root: str) -> int:
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    files = sorted(pathlib.Path(root).rglob("*.sql"))
    failures = []
    statements = 0
    for path in files:
        text = path.read_text()
        try:
            parsed = sqlglot.parse(text, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as e:
            failures.append(f"{path}: {e}")
            continue
        for tree in parsed:
            if tree is None:
                continue
            statements += 1
            if isinstance(tree, exp.Command):
                sql = tree.sql(dialect="redshift").lower()
                if not any(k in sql for k in KNOWN_UNSUPPORTED):
                    failures.append(f"{path}: not understood: {sql[:120]}")
    print(f"sqlglot {sqlglot.__version__}: {len(files)} files, {statements} statements, {len(failures)} failures")
    for f in failures:
        print(f"  {f}")
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
