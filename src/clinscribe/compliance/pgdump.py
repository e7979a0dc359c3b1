"""PostgreSQL dump and restore with the client tools, for the backup drill.

Passwords go to the tools through PGPASSWORD, never on a command line other users can read.
"""

from __future__ import annotations

import os
import shutil

# The PostgreSQL client tools run with fixed arguments and no shell.
import subprocess  # nosec B404
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL, make_url

from clinscribe.compliance import scratch
from clinscribe.compliance.results import EvidenceError
from clinscribe.db.session import get_engine

TIMEOUT = 3600.0  # seconds for one dump or restore


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EvidenceError(f"{name} is not installed (PostgreSQL client tools are needed)")
    return path


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    parsed: URL = make_url(url)
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603  # nosec B603
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit {done.returncode}"
        raise EvidenceError(f"{Path(command[0]).name} failed: {reason}")


def _counts(conn: Connection) -> dict[str, int]:
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
    ).scalars()
    counts = {}
    for table in list(tables):
        quoted = '"' + str(table).replace('"', '""') + '"'
        counts[str(table)] = int(conn.execute(text(f"SELECT count(*) FROM {quoted}")).scalar_one())  # noqa: S608  # nosec B608
    return counts


def table_counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        return _counts(conn)


def dump(url: str, out: Path) -> dict[str, int]:
    """Dump to `out` (custom format); returns the rows per table of exactly that snapshot."""
    args, env = _libpq(url)
    with get_engine(url).connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # The dump reads the snapshot this transaction holds open, so the counts match it.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = _counts(conn)
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(out),
                    *args,
                ],
                env,
            )
    return counts


def restore(dump_file: Path, url: str) -> None:
    args, env = _libpq(url)
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            *args,
            str(dump_file),
        ],
        env,
    )


def scratch_database(url: str) -> AbstractContextManager[str]:
    """A new empty database on the same server, dropped afterwards; yields its URL."""
    return scratch.scratch_database(
        url,
        create=lambda name: f'CREATE DATABASE "{name}"',
        drop=lambda name: f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        needs="the database role needs CREATEDB",
    )
