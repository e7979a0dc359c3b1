"""MariaDB dump and restore with the client tools, for the backup drill.

`mariadb-dump --single-transaction` reads one consistent snapshot, but in its own session, so
the rows per table are counted just before and just after it: equal counts mean the dump holds
exactly them (a busy database is dumped again, up to three times). The password goes to the
tools through MYSQL_PWD, never on a command line other users can read.
"""

from __future__ import annotations

import os
import shutil

# The MariaDB client tools run with fixed arguments and no shell.
import subprocess  # nosec B404
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from clinscribe.compliance import scratch
from clinscribe.compliance.results import EvidenceError
from clinscribe.db.session import get_engine

TIMEOUT = 3600.0  # seconds for one dump or restore
ATTEMPTS = 3
# What the migrations make every Clinscribe MariaDB database: binary, no padding.
CHARSET = "CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"


def _tool(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    raise EvidenceError(f"{names[0]} is not installed (MariaDB client tools are needed)")


def _client_args(url: str) -> tuple[list[str], dict[str, str], str]:
    parsed: URL = make_url(url)
    args = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 3306)]
    if parsed.username:
        args += ["--user", parsed.username]
    env = {**os.environ}
    if parsed.password:
        env["MYSQL_PWD"] = str(parsed.password)
    return args, env, parsed.database or ""


def _run(command: list[str], env: dict[str, str], stdin: Path | None = None) -> bytes:
    source = stdin.open("rb") if stdin is not None else None
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603
            command, env=env, stdin=source, capture_output=True, timeout=TIMEOUT, check=False
        )
    finally:
        if source is not None:
            source.close()
    if done.returncode != 0:
        lines = [line for line in done.stderr.decode(errors="replace").splitlines() if line]
        reason = lines[-1] if lines else f"exit {done.returncode}"
        raise EvidenceError(f"{Path(command[0]).name} failed: {reason}")
    return done.stdout


def table_counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        tables = conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ).scalars()
        counts = {}
        for table in list(tables):
            quoted = "`" + str(table).replace("`", "``") + "`"
            count = text(f"SELECT count(*) FROM {quoted}")  # noqa: S608  # nosec B608
            counts[str(table)] = int(conn.execute(count).scalar_one())
        return counts


def dump(url: str, out: Path) -> dict[str, int]:
    """Dump to `out` (SQL); returns the rows per table the dump holds."""
    args, env, database = _client_args(url)
    command = [
        _tool("mariadb-dump", "mysqldump"),
        *args,
        "--single-transaction",
        "--routines",
        "--triggers",
        "--hex-blob",
        "--result-file",
        str(out),
        database,
    ]
    for _ in range(ATTEMPTS):
        before = table_counts(url)
        _run(command, env)
        if table_counts(url) == before:
            return before
    raise EvidenceError("the database kept changing during the dump; drill at a quieter time")


def restore(dump_file: Path, url: str) -> None:
    args, env, database = _client_args(url)
    _run([_tool("mariadb", "mysql"), *args, database], env, stdin=dump_file)


def scratch_database(url: str) -> AbstractContextManager[str]:
    """A new empty database on the same server, dropped afterwards; yields its URL."""
    return scratch.scratch_database(
        url,
        create=lambda name: (
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
        ),
        drop=lambda name: f"DROP DATABASE IF EXISTS `{name}`",
        needs="the database user needs CREATE and DROP",
    )
