"""Write-back under failure: connections killed mid-write, retries, dead letters, clear errors."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.openemr import writeback
from clinscribe.openemr.connection import engine_for
from clinscribe.tasks import setup_jobs
from tests.integration.openemr.conftest import raw
from tests.integration.openemr.flows import (
    jobs,
    linked_world,
    query,
    sign,
    signed_copies,
    soap_note,
)
from tests.support import TenantWorld, add_note

# The statements of one write; a kill lands before one of them (after the counter moved).
_WRITES = ("INSERT INTO form_soap", "INSERT INTO forms", "INSERT INTO clinscribe_writeback")


@contextmanager
def killing(url: str, share: float, doomed: str, seed: int = 17) -> Iterator[dict[str, int]]:
    """Kill the writer's MariaDB connection (KILL CONNECTION from a second connection) in
    `share` of write transactions, and in every one that writes note `doomed`."""
    rng = random.Random(seed)
    killer = raw(url)
    engine = engine_for(url)
    stats = {"transactions": 0, "killed": 0}

    def before(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.startswith("UPDATE sequences"):
            stats["transactions"] += 1
            if rng.random() < share:
                conn.info["kill_at"] = rng.choice(_WRITES)
            return
        target = conn.info.get("kill_at")
        if statement.startswith("INSERT INTO clinscribe_writeback") and params["n"] == doomed:
            target = statement[: len(_WRITES[2])]
        if target and statement.startswith(target):
            conn.info.pop("kill_at", None)
            stats["killed"] += 1
            with killer.cursor() as cur:
                cur.execute("KILL CONNECTION %s", (cursor.connection.thread_id(),))

    def reset(conn: Any) -> None:
        conn.info.pop("kill_at", None)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "rollback", reset)
    try:
        yield stats
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "rollback", reset)
        killer.close()


@pytest.mark.slow
def test_a_hundred_notes_with_connections_killed_land_exactly_once_and_none_partial(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    first = soap_note(client, settings, world, encounter_id)
    note_ids = [first, *signed_copies(settings, first, 99)]
    doomed = note_ids[42]
    runtime = setup_jobs(settings)
    with killing(openemr_url, 0.3, doomed) as stats:
        for _ in range(settings.delivery_max_attempts + 1):
            pending = [j for j in jobs(settings) if j.status == "queued"]
            if not pending:
                break
            for job in pending:
                runtime.run(writeback.KIND, job.id)
    assert stats["killed"] >= 0.2 * stats["transactions"], stats
    by_note = {j.subject_id: j for j in jobs(settings)}
    dead = by_note[doomed]
    assert dead.status == "dead" and dead.attempts == settings.delivery_max_attempts
    assert (dead.last_error or "").startswith("RetryLater: openemr_unavailable: ")
    assert {j.status for n, j in by_note.items() if n != doomed} == {"succeeded"}

    # The dead letter is listed, replayed, and lands once.
    listed = client.get("/api/v1/admin/dead-letters", headers=world.auth("admin")).json()
    assert [d["job_id"] for d in listed] == [dead.id]
    replay = client.post(
        f"/api/v1/admin/dead-letters/{dead.id}/replay", headers=world.auth("admin")
    )
    assert replay.status_code < 400, replay.text
    runtime.run(writeback.KIND, dead.id)

    forms = query(openemr_url, "SELECT * FROM forms WHERE formdir = 'soap' AND deleted = 0")
    soaps = query(openemr_url, "SELECT id FROM form_soap")
    ledger = query(openemr_url, "SELECT note_id, form_soap_id, forms_id FROM clinscribe_writeback")
    assert len(forms) == len(soaps) == len(ledger) == 100
    assert {r["note_id"] for r in ledger} == set(note_ids)
    # None partial: every SOAP form is attached, every ledger row names an attached form.
    assert {f["form_id"] for f in forms} == {s["id"] for s in soaps}
    assert {(r["form_soap_id"], r["forms_id"]) for r in ledger} == {
        (f["form_id"], f["id"]) for f in forms
    }
    # Killed transactions gave their counter values back: ids are the next 100 after the seed's.
    assert sorted(s["id"] for s in soaps) == list(range(4, 104))


def _dead_error(settings: Settings, job_id: str, runtime_runs: int = 1) -> str:
    runtime = setup_jobs(settings)
    for _ in range(runtime_runs):
        runtime.run(writeback.KIND, job_id)
    with session_scope(settings.resolved_database_url) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return f"{job.status} {job.last_error}"


def test_a_patient_gone_from_openemr_is_a_final_coded_refusal(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    soap_note(client, settings, world, encounter_id)
    conn = raw(openemr_url)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM patient_data WHERE pid = 1")
    conn.close()
    [job] = jobs(settings)
    error = _dead_error(settings, job.id)
    assert error.startswith("dead PermanentJobError: openemr_patient_missing: ")
    assert "Ivy" not in error and "Harlow" not in error
    assert query(openemr_url, "SELECT id FROM form_soap") == []


def test_a_note_without_assessment_or_plan_is_refused_with_its_code(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    note_id, _ = add_note(settings, world, encounter_id, "draft")
    r = client.patch(
        f"/api/v1/notes/{note_id}",
        json={"sections": {"assessment": "", "plan": ""}},
        headers=world.auth("clinician"),
    )
    assert r.status_code == 200, r.text
    sign(client, world, note_id)
    [job] = jobs(settings)
    assert _dead_error(settings, job.id).startswith(
        "dead PermanentJobError: note_not_soap_shaped: "
    )


def test_bad_credentials_and_a_wrong_schema_are_retried_with_their_codes(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    soap_note(client, settings, world, encounter_id)
    [job] = jobs(settings)
    admin = world.auth("admin")
    bad = openemr_url.replace("root@", "root:wrong-password@")
    client.put(
        "/api/v1/tenant/openemr", json={"database_url": bad, "write_back": "soap"}, headers=admin
    )
    assert _dead_error(settings, job.id).startswith("queued RetryLater: openemr_access_denied: ")
    status = client.get("/api/v1/tenant/openemr/status", headers=admin)
    assert (status.status_code, status.json()["error"]) == (502, "openemr_access_denied")

    client.put(
        "/api/v1/tenant/openemr",
        json={"database_url": openemr_url, "write_back": "soap"},
        headers=admin,
    )
    conn = raw(openemr_url)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE form_soap DROP COLUMN plan")
    conn.close()
    assert _dead_error(settings, job.id).startswith("queued RetryLater: openemr_schema_drift: ")
    status = client.get("/api/v1/tenant/openemr/status", headers=admin)
    assert (status.status_code, status.json()["error"]) == (409, "openemr_schema_drift")
    assert "form_soap.plan" in status.json()["detail"]
    assert query(openemr_url, "SELECT id FROM form_soap") == []
