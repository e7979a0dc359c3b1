"""The encryption canary on PostgreSQL: no marker in a `pg_dump` of the database."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests import canary
from tests.support import TenantWorld


def test_canary_markers_are_absent_from_a_pg_dump_the_blobs_and_the_logs(
    pg_client: TestClient,
    pg_settings: Settings,
    pg_a: TenantWorld,
    pg_migrated: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    markers = canary.markers()
    metrics = canary.exercise(pg_client, pg_a, markers)
    pg_dump = shutil.which("pg_dump")
    assert pg_dump is not None, "pg_dump is part of the PostgreSQL client the suite needs"
    dump = subprocess.run(
        [pg_dump, "--no-owner", pg_migrated], capture_output=True, check=True, timeout=120
    ).stdout
    assert b"CREATE TABLE public.patients" in dump and b"enc1:" in dump
    logs = capfd.readouterr()
    canary.assert_absent(
        markers,
        {
            "pg_dump": dump,
            "the data dir": canary.files_under(pg_settings.data_dir),
            "the logs": (logs.out + logs.err).encode(),
            "/metrics": metrics,
        },
    )
