"""The bridge works as a MariaDB account holding only the GRANTs the README lists."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Patient
from clinscribe.db.session import session_scope
from clinscribe.openemr import writeback
from clinscribe.tasks import setup_jobs
from tests.integration.openemr.conftest import MARIADB, raw
from tests.integration.openemr.flows import (
    dictated_note,
    jobs,
    linked_world,
    new_encounter,
    query,
    sign,
)
from tests.support import TenantWorld

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_grants() -> list[str]:
    """The GRANT statements of the README's least-privilege block, as a site would run them."""
    text = README.read_text()
    block = text.split("A least-privilege MariaDB account for the bridge", 1)[1]
    sql = block.split("```sql", 1)[1].split("```", 1)[0]
    return [s.strip() for s in re.findall(r"^GRANT [^;]+;", sql, re.M)]


@pytest.fixture
def limited_url(openemr_url: str) -> Iterator[str]:
    """The test database as seen by an account holding exactly the README's GRANTs."""
    database = openemr_url.rsplit("/", 1)[1]
    user, password = f"cs_{secrets.token_hex(4)}", secrets.token_hex(16)
    conn = raw(openemr_url)
    try:
        with conn.cursor() as cur:
            for host in ("%", "localhost"):
                cur.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'")
            for grant in readme_grants():
                for host in ("%", "localhost"):
                    cur.execute(
                        grant.replace("openemr.", f"`{database}`.")
                        .replace("'clinscribe'@'10.0.0.%'", f"'{user}'@'{host}'")
                        .rstrip(";")
                    )
        yield MARIADB.replace("root@", f"{user}:{password}@") + f"/{database}"
    finally:
        with conn.cursor() as cur:
            for host in ("%", "localhost"):
                cur.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        conn.close()


def test_the_readme_grants_are_enough_for_status_sync_and_write_back(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    openemr_url: str,
    limited_url: str,
) -> None:
    grants = readme_grants()
    assert grants and not any("ALL PRIVILEGES" in g or " ON openemr.* " in g for g in grants)
    world, encounter_id = linked_world(client, settings, tenant_a, limited_url, write_lists=True)
    status = client.get("/api/v1/tenant/openemr/status", headers=world.auth("admin"))
    assert status.status_code == 200, status.text
    # A note on an OpenEMR encounter (SOAP + vitals + lists) and one on an encounter begun here.
    note_id = dictated_note(settings, world, encounter_id)
    client.patch(
        f"/api/v1/notes/{note_id}",
        json={"facts": {"p0": "accepted", "m0": "accepted"}},
        headers=world.auth("clinician"),
    )
    sign(client, world, note_id)
    fresh = new_encounter(client, settings, world, pid=3)
    sign(client, world, dictated_note(settings, world, fresh))
    runtime = setup_jobs(settings)
    for job in jobs(settings):
        runtime.run(writeback.KIND, job.id)
    assert [(j.status, j.last_error) for j in jobs(settings)] == [("succeeded", None)] * 2
    assert len(query(openemr_url, "SELECT id FROM form_soap")) == 2
    assert len(query(openemr_url, "SELECT id FROM form_vitals")) == 2
    assert len(query(openemr_url, "SELECT id FROM form_encounter WHERE pid = 3")) == 1
    assert len(query(openemr_url, "SELECT id FROM lists")) == 2
    # A second sync imports nothing twice, the encounter made by write-back included.
    again = client.post("/api/v1/openemr/sync", headers=world.auth("admin"))
    assert again.status_code == 200, again.text
    assert again.json()["encounters_created"] == again.json()["patients_created"] == 0
    with session_scope(settings.resolved_database_url) as session:
        assert len(session.scalars(select(Patient)).all()) >= 3


def test_what_the_limited_account_may_not_do_is_refused_by_mariadb(
    openemr_url: str, limited_url: str
) -> None:
    import pymysql

    from tests.integration.openemr.conftest import _server

    user_pass = limited_url.split("://", 1)[1].split("@", 1)[0]
    user, password = user_pass.split(":", 1)
    server = {**_server(), "user": user, "password": password}
    conn = pymysql.connect(**server, database=openemr_url.rsplit("/", 1)[1])  # type: ignore[arg-type]
    try:
        with conn.cursor() as cur:
            for statement in (
                "DELETE FROM forms",
                "UPDATE patient_data SET fname = 'x'",
                "UPDATE form_soap SET plan = 'x'",
                "UPDATE users_secure SET password = 'x'",
                "DROP TABLE lists",
            ):
                with pytest.raises(pymysql.err.OperationalError) as refused:
                    cur.execute(statement)
                assert refused.value.args[0] in (1142, 1143), statement
    finally:
        conn.close()
