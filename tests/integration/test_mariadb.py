"""What only MariaDB needs checking: every migration both ways, one at a time, and a schema
that behaves like PostgreSQL's (binary collation, long text, microseconds, UTC, strict mode).

The migration walk runs every revision in the tree, so a new migration that does not work on
MariaDB fails here (the rules it must follow: docs/architecture.md, "Databases").
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Connection, insert, inspect, select, text
from sqlalchemy.exc import DataError, IntegrityError

from clinscribe.api.app import create_app
from clinscribe.db import migrate
from clinscribe.db.base import new_id
from clinscribe.db.models import Tenant
from clinscribe.db.session import get_engine
from tests.conftest import make_settings
from tests.integration.conftest import mariadb_admin, throwaway_database
from tests.support import TenantWorld, build_tenant, unique

COLLATION = "utf8mb4_nopad_bin"
# The account README.md tells a site to create ("Clinscribe's own database on MariaDB").
GRANTS = "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX, REFERENCES"
# MySQL's TEXT and BLOB hold 64 KB; unsized columns must come out LONGTEXT/LONGBLOB.
SHORT_TYPES = {"tinytext", "text", "tinyblob", "blob"}


def _revisions_oldest_first(url: str) -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _schema_problems(conn: Connection) -> list[str]:
    """Every table and column that would behave differently from PostgreSQL."""
    problems: list[str] = []
    tables = conn.execute(
        text(
            "SELECT table_name, engine, table_collation FROM information_schema.tables "
            "WHERE table_schema = DATABASE()"
        )
    ).all()
    for name, engine, collation in tables:
        if engine != "InnoDB" or collation != COLLATION:
            problems.append(f"table {name}: {engine}, {collation}")
    columns = conn.execute(
        text(
            "SELECT table_name, column_name, data_type, collation_name, datetime_precision "
            "FROM information_schema.columns WHERE table_schema = DATABASE()"
        )
    ).all()
    # MariaDB's JSON type is LONGTEXT with a json_valid() check and a fixed utf8mb4_bin
    # collation; JSON values are never compared as keys, so that collation is harmless there.
    json_columns = {
        (table, match)
        for table, clause in conn.execute(
            text(
                "SELECT table_name, check_clause FROM information_schema.check_constraints "
                "WHERE constraint_schema = DATABASE()"
            )
        ).all()
        for match in re.findall(r"json_valid\(`([^`]+)`\)", str(clause))
    }
    for table, column, data_type, collation, precision in columns:
        where = f"{table}.{column}"
        json_ok = (table, column) in json_columns and collation == "utf8mb4_bin"
        if collation is not None and collation != COLLATION and not json_ok:
            problems.append(f"{where}: collation {collation}")
        if data_type in SHORT_TYPES:
            problems.append(f"{where}: {data_type} holds at most 64 KB")
        if data_type in ("datetime", "timestamp") and precision != 6:
            problems.append(f"{where}: {data_type}({precision}) drops microseconds")
    return problems


def test_every_migration_upgrades_and_downgrades_one_step_at_a_time_on_mariadb() -> None:
    with throwaway_database("mariadb", "clinscribe_walk") as url:
        revisions = _revisions_oldest_first(url)
        assert revisions[0] == "0001" and len(revisions) >= 14
        for revision in revisions:
            migrate.upgrade(url, revision)
            assert migrate.current(url) == revision
        with get_engine(url).connect() as conn:
            assert _schema_problems(conn) == []
            assert conn.execute(text("SELECT @@collation_database")).scalar_one() == COLLATION
        for expected in reversed(["base", *revisions[:-1]]):
            migrate.downgrade(url, "-1")
            assert migrate.current(url) == (None if expected == "base" else expected)
        assert set(inspect(get_engine(url)).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        assert migrate.current(url) == revisions[-1]


def test_values_differing_in_case_or_trailing_space_are_different_keys(
    mariadb_migrated: str,
) -> None:
    base = unique("Clinic-")
    names = [base, base.lower(), base.upper(), base + " "]
    engine = get_engine(mariadb_migrated)
    with engine.begin() as conn:
        for name in names:
            conn.execute(insert(Tenant).values(id=new_id(), name=name))
    with engine.connect() as conn:
        for name in names:
            found = conn.execute(select(Tenant.name).where(Tenant.name == name)).scalars().all()
            assert found == [name]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Tenant).values(id=new_id(), name=base))


def test_strict_mode_refuses_an_overlong_value_instead_of_truncating_it(
    mariadb_migrated: str,
) -> None:
    with pytest.raises(DataError), get_engine(mariadb_migrated).begin() as conn:
        conn.execute(insert(Tenant).values(id=new_id(), name="x" * 201))


def test_connections_are_utc_read_committed_and_utf8mb4(mariadb_migrated: str) -> None:
    with get_engine(mariadb_migrated).connect() as conn:
        zone, isolation, charset, mode = conn.execute(
            text(
                "SELECT @@session.time_zone, @@session.tx_isolation, "
                "@@character_set_connection, @@session.sql_mode"
            )
        ).one()
    assert (zone, isolation, charset) == ("+00:00", "READ-COMMITTED", "utf8mb4")
    assert "STRICT_ALL_TABLES" in mode


def test_a_sealed_transcript_over_64_kb_with_emoji_round_trips_and_times_keep_microseconds(
    mariadb_client: TestClient, mariadb_a: TenantWorld, mariadb_migrated: str
) -> None:
    headers = mariadb_a.auth("clinician")
    line = "Patient: The pain is worse at night 😣 and better with rest, since Tuesday.\n"
    dictation = line * 1500  # ~110 KB of text, sealed into a larger ciphertext
    before = datetime.now(UTC)
    created = mariadb_client.post(
        f"/api/v1/encounters/{mariadb_a.encounter_id}/text",
        json={"text": dictation},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    transcript_id = created.json()["transcript_id"]
    body = mariadb_client.get(f"/api/v1/transcripts/{transcript_id}", headers=headers).json()
    # Speaker labels become segments; the words, emoji included, come back whole.
    assert body["text"] == (line.removeprefix("Patient: ") * 1500).strip()
    stored_at = datetime.fromisoformat(body["created_at"])
    assert stored_at.tzinfo is not None and stored_at.microsecond != 0
    assert abs((stored_at - before).total_seconds()) < 120
    with get_engine(mariadb_migrated).connect() as conn:
        size, raw_at, server_now = conn.execute(
            text(
                "SELECT LENGTH(text), created_at, UTC_TIMESTAMP(6) FROM transcripts WHERE id = :i"
            ),
            {"i": transcript_id},
        ).one()
    assert size > 64 * 1024
    # Stored as UTC wall time, and the server's own clock (session zone UTC) agrees.
    assert raw_at == stored_at.replace(tzinfo=None)
    assert abs((server_now - raw_at).total_seconds()) < 120


def test_the_account_the_readme_describes_can_migrate_and_serve(tmp_path: Path) -> None:
    user = f"clin_{uuid.uuid4().hex[:8]}"
    password = f"p@ss%w/rd:{uuid.uuid4().hex[:6]}"  # characters a URL must escape
    with throwaway_database("mariadb", "clinscribe_acct") as root_url:
        database = root_url.rsplit("/", 1)[1]
        with mariadb_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT {GRANTS} ON `{database}`.* TO '{user}'@'%'")
        url = f"mariadb://{user}:{quote(password, safe='')}@127.0.0.1:3306/{database}"
        try:
            migrate.upgrade(url)
            migrate.downgrade(url, "base")
            migrate.upgrade(url)
            settings = make_settings(tmp_path, database_url=url)
            world = build_tenant(settings)
            with TestClient(create_app(settings, start_worker=False)) as client:
                patient = client.get(
                    f"/api/v1/patients/{world.patient_id}", headers=world.auth("clinician")
                )
                assert patient.status_code == 200
        finally:
            get_engine(url).dispose()
            with mariadb_admin() as admin, admin.cursor() as cursor:
                cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
