"""Where a signed note landed in OpenEMR, read back for the note view and the admin summary."""

from __future__ import annotations

import dataclasses

import pymysql
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Encounter, Job, User
from clinscribe.db.session import session_scope
from clinscribe.tasks import setup_jobs
from tests.integration.openemr.conftest import PASSWORDS, raw
from tests.support import TenantWorld, add_note


def _doctor(
    client: TestClient, settings: Settings, world: TenantWorld, url: str
) -> tuple[TenantWorld, str]:
    admin = world.auth("admin")
    body = {"database_url": url, "write_back": "soap", "facility_id": 3}
    assert client.put("/api/v1/tenant/openemr", json=body, headers=admin).status_code == 200
    assert client.post("/api/v1/openemr/sync", headers=admin).status_code == 200
    login = client.post(
        "/api/v1/auth/openemr/login",
        json={"tenant_id": world.id, "username": "physician", "password": PASSWORDS["physician"]},
    ).json()
    with session_scope(settings.resolved_database_url) as session:
        physician = session.scalars(select(User).where(User.openemr_user_id == 2)).one()
        encounter = session.scalars(select(Encounter).where(Encounter.openemr_encounter == 3)).one()
        encounter.clinician_id = physician.id
        ids = (physician.id, encounter.id)
    doctor = dataclasses.replace(
        world,
        users={**world.users, "clinician": ids[0]},
        tokens={**world.tokens, "clinician": login["access_token"]},
    )
    return doctor, ids[1]


def _sign(client: TestClient, settings: Settings, world: TenantWorld, encounter_id: str) -> str:
    note_id, _ = add_note(settings, world, encounter_id, "draft")
    sections = {"assessment": "Knee strain.", "plan": "Ice and rest."}
    clinician = world.auth("clinician")
    assert (
        client.patch(
            f"/api/v1/notes/{note_id}", json={"sections": sections}, headers=clinician
        ).status_code
        == 200
    )
    client.post(f"/api/v1/notes/{note_id}/submit", headers=clinician)
    client.post(f"/api/v1/notes/{note_id}/approve", headers=world.auth("reviewer"))
    assert client.post(f"/api/v1/notes/{note_id}/sign", headers=clinician).status_code == 200
    return note_id


def test_the_note_shows_its_encounter_and_form_once_written_and_the_summary_counts(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    openemr_url: str,
) -> None:
    world, encounter_id = _doctor(client, settings, tenant_a, openemr_url)
    note_id = _sign(client, settings, world, encounter_id)
    path = f"/api/v1/notes/{note_id}/openemr"
    waiting = client.get(path, headers=world.auth("reviewer")).json()
    assert (waiting["linked"], waiting["pid"], waiting["encounter"]) == (True, 2, 3)
    assert [v["status"] for v in waiting["versions"]] == ["pending"]
    assert waiting["versions"][0]["form_id"] is None
    summary = client.get("/api/v1/openemr/overview", headers=world.auth("admin")).json()
    assert summary["writes_pending"] == 1 and summary["patients_linked"] == 3
    assert summary["encounters_linked"] == 2 and summary["users_linked"] == 1
    assert summary["last_sync_at"] is not None and summary["connection"]["write_back"] == "soap"

    with session_scope(settings.resolved_database_url) as session:
        job_id = session.scalars(select(Job.id).where(Job.kind == "openemr_write")).one()
    setup_jobs(settings).run("openemr_write", job_id)
    db = raw(openemr_url)
    with db.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SELECT f.form_id, f.id FROM forms f WHERE f.formdir='soap' AND f.encounter=3")
        form = cur.fetchone()
    db.close()
    written = client.get(path, headers=world.auth("clinician")).json()
    [version] = written["versions"]
    assert written["ledger_checked"] is True
    assert (version["status"], version["encounter"]) == ("written", 3)
    assert (version["form_id"], version["forms_row_id"]) == (form["form_id"], form["id"])
    assert version["written_at"] is not None and version["superseded_by_version"] is None

    # OpenEMR unreachable: the status is still shown, the ids are not guessed.
    down = {"database_url": "mysql://root@127.0.0.1:1/openemr", "write_back": "soap"}
    assert (
        client.put("/api/v1/tenant/openemr", json=down, headers=world.auth("admin")).status_code
        == 200
    )
    offline = client.get(path, headers=world.auth("clinician")).json()
    assert offline["ledger_checked"] is False
    assert (offline["versions"][0]["status"], offline["versions"][0]["form_id"]) == (
        "written",
        None,
    )

    assert client.get(path, headers=tenant_b.auth("admin")).status_code == 404
    assert client.get("/api/v1/notes/nope/openemr", headers=world.auth("admin")).status_code == 404


def test_a_note_outside_openemr_says_so(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    note_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id, "signed")
    shown = client.get(f"/api/v1/notes/{note_id}/openemr", headers=tenant_a.auth("admin")).json()
    assert shown == {
        "linked": False,
        "pid": None,
        "encounter": None,
        "ledger_checked": False,
        "versions": [],
    }
