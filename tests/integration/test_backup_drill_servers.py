"""The backup drill on each server database: PostgreSQL (pg_dump under an exported snapshot) and
MariaDB (mariadb-dump in one transaction), restored into a scratch database that is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from clinscribe.compliance import drill
from clinscribe.compliance.results import BACKUP_DRILL
from clinscribe.config import Settings
from tests.integration.conftest import PG_ADMIN_URL, mariadb_admin
from tests.support import TenantWorld

METHOD = {"postgresql": "pg_dump", "mariadb": "mariadb-dump"}


def _scratch_databases_left(db_server: str) -> int:
    if db_server == "postgresql":
        with psycopg.connect(PG_ADMIN_URL) as conn:
            row = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%_drill_%'")
            return int(row.fetchone()[0])  # type: ignore[index]
    conn = mariadb_admin()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE '%\\_drill\\_%'")
            return len(cursor.fetchall())
    finally:
        conn.close()


def test_a_server_drill_restores_and_verifies_a_scratch_copy_then_drops_it(
    db_server: str, db_settings: Settings, db_a: TenantWorld, tmp_path: Path
) -> None:
    out = tmp_path / "drills"
    out.mkdir()
    result = drill.run(db_settings, out)
    assert result["ok"], result["problems"]
    assert result["database"] == ("postgresql" if db_server == "postgresql" else "mysql")
    assert result["backup"]["method"].startswith(METHOD[db_server])
    assert result["tables"]["patients"]["source"] >= 1
    assert all(t["source"] == t["restored"] for t in result["tables"].values())
    assert result["audit"]["ok"] and result["audit"]["checked"] > 0
    assert result["encrypted_sample"]["checked"] > 0 and result["encrypted_sample"]["failed"] == 0
    saved = json.loads((db_settings.evidence_dir / BACKUP_DRILL).read_text())
    assert saved["finished_at"] == result["finished_at"]
    assert _scratch_databases_left(db_server) == 0
