"""The encryption canary on each server database: no marker in a dump of the database
(`pg_dump`, `mariadb-dump`)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from clinscribe.config import Settings
from tests import canary
from tests.support import TenantWorld


def _dump(server: str, url: str) -> bytes:
    """The whole database as SQL, and a check that the dump did include the sealed tables."""
    env = dict(os.environ)
    if server == "postgresql":
        tool = shutil.which("pg_dump")
        assert tool is not None, "pg_dump is part of the PostgreSQL client the suite needs"
        command = [tool, "--no-owner", url]
        table = b"CREATE TABLE public.patients"
    else:
        tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
        assert tool is not None, "mariadb-dump is part of the MariaDB client the suite needs"
        parts = make_url(url)
        command = [
            tool,
            f"--host={parts.host}",
            f"--port={parts.port or 3306}",
            f"--user={parts.username}",
            "--single-transaction",
            "--skip-extended-insert",
            str(parts.database),
        ]
        table = b"CREATE TABLE `patients`"
        if parts.password:
            env["MYSQL_PWD"] = parts.password  # kept off the command line
    dump = subprocess.run(command, capture_output=True, check=True, timeout=120, env=env).stdout
    assert table in dump and b"enc1:" in dump
    return dump


def test_canary_markers_are_absent_from_a_database_dump_the_blobs_and_the_logs(
    db_server: str,
    db_client: TestClient,
    db_settings: Settings,
    db_a: TenantWorld,
    db_migrated: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    markers = canary.markers()
    metrics = canary.exercise(db_client, db_a, markers)
    dump = _dump(db_server, db_migrated)
    logs = capfd.readouterr()
    canary.assert_absent(
        markers,
        {
            "the database dump": dump,
            "the data dir": canary.files_under(db_settings.data_dir),
            "the logs": (logs.out + logs.err).encode(),
            "/metrics": metrics,
        },
    )
