"""The backup drill on PostgreSQL: pg_dump under an exported snapshot, restored into scratch."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from clinscribe.compliance import drill
from clinscribe.compliance.results import BACKUP_DRILL
from clinscribe.config import Settings
from tests.integration.conftest import PG_ADMIN_URL
from tests.support import TenantWorld


def test_a_postgres_drill_restores_and_verifies_a_scratch_copy_then_drops_it(
    pg_settings: Settings, pg_a: TenantWorld, tmp_path: Path
) -> None:
    out = tmp_path / "drills"
    out.mkdir()
    result = drill.run(pg_settings, out)
    assert result["ok"], result["problems"]
    assert result["database"] == "postgresql"
    assert result["backup"]["method"].startswith("pg_dump")
    assert result["tables"]["patients"]["source"] >= 1
    assert all(t["source"] == t["restored"] for t in result["tables"].values())
    assert result["audit"]["ok"] and result["audit"]["checked"] > 0
    assert result["encrypted_sample"]["checked"] > 0 and result["encrypted_sample"]["failed"] == 0
    saved = json.loads((pg_settings.evidence_dir / BACKUP_DRILL).read_text())
    assert saved["finished_at"] == result["finished_at"]
    with psycopg.connect(PG_ADMIN_URL) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%_drill_%'")
        assert left.fetchone() == (0,)
