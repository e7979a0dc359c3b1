"""Compare the test DDL of the OpenEMR subset with a real OpenEMR schema.

    python bench/openemr_schema_check.py [SCHEMA_SQL] [--server mysql://root@127.0.0.1:3306]

Loads both into scratch MariaDB databases (dropped afterwards) and checks, through
information_schema, that every table and column of `tests/integration/openemr/openemr_subset.sql`
exists in the real schema with the same column type, nullability and default, and that every real
column that is NOT NULL without a default is present in the subset too (so a row the bridge writes
in the tests would be accepted by OpenEMR). SCHEMA_SQL defaults to OpenEMR's DDL next to the
repository (`../shared/openemr/schema.sql`) when it is there. Exit 0 when they agree, 1 with one
line per difference, 2 when no real schema is at hand.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import pymysql

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT / "tests" / "integration" / "openemr" / "openemr_subset.sql"
DEFAULT_SCHEMA = ROOT.parent / "shared" / "openemr" / "schema.sql"

Column = tuple[str, str, Any]  # column type, nullable, default


def _statements(sql: str) -> list[str]:
    text = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _columns(cur: Any, name: str) -> dict[str, dict[str, Column]]:
    cur.execute(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s",
        (name,),
    )
    out: dict[str, dict[str, Column]] = {}
    for table, column, ctype, nullable, default in cur.fetchall():
        # int(11) and int are the same column; only the display width differs between versions.
        norm = re.sub(r"\b(tinyint|smallint|int|bigint)\(\d+\)", r"\1", str(ctype).lower())
        out.setdefault(str(table), {})[str(column)] = (norm, nullable, default)
    return out


def _load(cur: Any, name: str, sql: str) -> dict[str, dict[str, Column]]:
    cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    cur.execute(f"USE `{name}`")
    for statement in _statements(sql):
        cur.execute(statement)
    return _columns(cur, name)


def compare(subset: dict[str, dict[str, Column]], real: dict[str, dict[str, Column]]) -> list[str]:
    problems: list[str] = []
    for table, columns in subset.items():
        if table not in real:
            problems.append(f"{table}: not in the real schema")
            continue
        for column, spec in columns.items():
            other = real[table].get(column)
            if other is None:
                problems.append(f"{table}.{column}: not in the real schema")
            elif other != spec:
                problems.append(f"{table}.{column}: subset {spec} != real {other}")
        for column, (_, nullable, default) in real[table].items():
            if nullable == "NO" and default is None and column not in columns:
                # An auto-increment key fills itself; anything else would make our inserts fail.
                problems.append(f"{table}.{column}: NOT NULL without default, missing in subset")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("schema", nargs="?", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--server", default="mysql://root@127.0.0.1:3306")
    args = parser.parse_args()
    if not args.schema.is_file():
        print(f"no OpenEMR schema at {args.schema}", file=sys.stderr)
        return 2
    rest = args.server.split("://", 1)[1]
    user, _, hostport = rest.rpartition("@")
    host, _, port = hostport.partition(":")
    conn = pymysql.connect(host=host, port=int(port or 3306), user=user or "root", autocommit=True)
    names = [f"oe_check_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        with conn.cursor() as cur:
            subset = _load(cur, names[0], SUBSET.read_text())
            real = _load(cur, names[1], args.schema.read_text())
    finally:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()
    problems = compare(subset, real)
    for line in problems:
        print(line)
    print(f"{len(subset)} tables compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
