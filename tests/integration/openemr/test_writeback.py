"""Signed notes land in OpenEMR as SOAP forms: once per version, amendments, failures."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.openemr import writeback
from clinscribe.openemr.connection import OpenEmrUnavailable
from clinscribe.tasks import setup_jobs
from tests.integration.openemr.conftest import raw
from tests.integration.openemr.flows import jobs, linked_world, sign, soap_forms, soap_note
from tests.support import TenantWorld


def test_sign_writes_one_form_and_amend_writes_another(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    note_id = soap_note(client, settings, world, encounter_id)
    runtime = setup_jobs(settings)
    [job] = jobs(settings)
    runtime.run(writeback.KIND, job.id)
    runtime.run(writeback.KIND, job.id)  # a redelivered message writes nothing more
    forms = soap_forms(openemr_url)
    assert len(forms) == 1, [(j.status, j.last_error) for j in jobs(settings)]
    assert (forms[0]["encounter"], forms[0]["pid"], forms[0]["user"]) == (2, 1, "physician")
    assert (forms[0]["assessment"], forms[0]["plan"]) == ("Acute bronchitis.", "Fluids and rest.")
    # Write-back is PHI egress: one event for the write (none for the repeat), naming the
    # database host, never its credentials or the note's text.
    egress = client.get(
        "/api/v1/admin/egress", params={"processor": "openemr"}, headers=world.auth("admin")
    ).json()
    [event] = egress["items"]
    server = urlsplit(openemr_url)
    assert event["destination"] == f"{server.hostname}:{server.port or 3306}"
    assert (event["purpose"], event["outcome"], event["actor_id"]) == (
        "note_write_back",
        "sent",
        job.id,
    )
    assert event["object_ids"][0] == note_id and event["bytes"] > len("Acute bronchitis.")
    exported = client.get(
        "/api/v1/admin/egress", params={"format": "csv"}, headers=world.auth("admin")
    ).text
    assert "bronchitis" not in exported and "Fluids" not in exported

    # The same version queued again (a crash after OpenEMR committed) is found in the ledger.
    with session_scope(settings.resolved_database_url) as session:
        item = writeback.form_input(
            session,
            note_id,
            1 if job.subject_type.endswith(":1") else int(job.subject_type.split(":")[1]),
        )
    placed = writeback.write(openemr_url, item)
    assert placed.already and placed.forms_id == forms[0]["id"]
    assert len(soap_forms(openemr_url)) == 1

    amend = client.post(
        f"/api/v1/notes/{note_id}/amend",
        json={
            "sections": {"plan": "Rest, fluids, review in one week."},
            "reason": "Plan clarified.",
        },
        headers=world.auth("clinician"),
    )
    assert amend.status_code == 200, amend.text
    sign(client, world, note_id)
    second = [j for j in jobs(settings) if j.id != job.id]
    assert len(second) == 1
    runtime.run(writeback.KIND, second[0].id)
    forms = soap_forms(openemr_url)
    assert len(forms) == 2 and forms[1]["plan"] == "Rest, fluids, review in one week."
    conn = raw(openemr_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT note_version, superseded_by_version FROM clinscribe_writeback "
                "ORDER BY note_version"
            )
            ledger = cur.fetchall()
    finally:
        conn.close()
    assert len(ledger) == 2
    assert ledger[0][1] == ledger[1][0] and ledger[1][1] is None


def test_openemr_down_retries_then_dead_letters_and_nothing_partial(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    before = len(soap_forms(openemr_url))
    note_id = soap_note(client, settings, world, encounter_id)
    [job] = [j for j in jobs(settings) if j.subject_id == note_id]
    conn = raw(openemr_url)
    try:
        with conn.cursor() as cur:
            # The form_soap insert succeeds, then `forms` fails: the transaction must roll back.
            cur.execute(
                "CREATE TRIGGER fail_forms BEFORE INSERT ON forms FOR EACH ROW "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'"
            )
            cur.execute("SELECT COUNT(*) FROM form_soap")
            soap_before = cur.fetchone()
            cur.execute("SELECT id FROM sequences")
            counter_before = cur.fetchone()
        with session_scope(settings.resolved_database_url) as session:
            version = int(job.subject_type.removeprefix(writeback.SUBJECT_PREFIX))
            item = writeback.form_input(session, note_id, version)
        with pytest.raises(OpenEmrUnavailable):
            writeback.write(openemr_url, item)
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM form_soap")
            assert cur.fetchone() == soap_before
            cur.execute("SELECT id FROM sequences")
            assert cur.fetchone() == counter_before
            cur.execute("SELECT COUNT(*) FROM clinscribe_writeback WHERE note_id = %s", (note_id,))
            assert cur.fetchone() == (0,)
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TRIGGER IF EXISTS fail_forms")
        conn.close()
    assert len(soap_forms(openemr_url)) == before
    # Point the tenant at a dead server: each attempt is retried with backoff, then dead.
    admin = world.auth("admin")
    dead_url = "mysql://root@127.0.0.1:1/openemr"
    client.put(
        "/api/v1/tenant/openemr",
        json={"database_url": dead_url, "write_back": "soap"},
        headers=admin,
    )
    runtime = setup_jobs(settings)
    for _ in range(settings.delivery_max_attempts + 1):
        with session_scope(settings.resolved_database_url) as session:
            row = session.get(Job, job.id)
            assert row is not None
            if row.status == "dead":
                break
            row.status = "queued"  # skip the backoff wait
        runtime.run(writeback.KIND, job.id)
    assert [j.status for j in jobs(settings) if j.id == job.id] == ["dead"]
    client.put(
        "/api/v1/tenant/openemr",
        json={"database_url": openemr_url, "write_back": "soap"},
        headers=admin,
    )
    replay = client.post(f"/api/v1/admin/dead-letters/{job.id}/replay", headers=admin)
    assert replay.status_code < 400, replay.text
    runtime.run(writeback.KIND, job.id)
    assert len(soap_forms(openemr_url)) == before + 1
