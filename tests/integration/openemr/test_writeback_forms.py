"""Write-back beyond the SOAP form: new encounters, vitals, the chart's lists, clear refusals."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.openemr import writeback
from clinscribe.tasks import setup_jobs
from tests.integration.openemr.flows import (
    dictated_note,
    jobs,
    linked_world,
    new_encounter,
    query,
    sign,
    soap_forms,
    soap_note,
)
from tests.support import TenantWorld


def test_a_note_for_an_encounter_begun_here_creates_the_openemr_encounter_once(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, _ = linked_world(client, settings, tenant_a, openemr_url)
    encounter_id = new_encounter(client, settings, world, pid=3)
    [counter_before] = query(openemr_url, "SELECT id FROM sequences")
    note_id = soap_note(client, settings, world, encounter_id)
    runtime = setup_jobs(settings)
    [job] = jobs(settings)
    runtime.run(writeback.KIND, job.id)
    runtime.run(writeback.KIND, job.id)  # redelivered: nothing more

    made = query(openemr_url, "SELECT * FROM form_encounter WHERE pid = 3")
    assert len(made) == 1
    enc = made[0]
    # The number comes from OpenEMR's shared counter, the SOAP form's id right after it.
    assert enc["encounter"] == counter_before["id"] + 1
    assert (enc["facility_id"], enc["facility"], enc["provider_id"]) == (3, "Riverside Clinic", 2)
    assert (enc["pc_catid"], enc["class_code"], enc["sensitivity"]) == (5, "AMB", "normal")
    assert enc["reason"] == "Follow-up" and len(enc["uuid"]) == 16
    attached = query(
        openemr_url, "SELECT * FROM forms WHERE encounter = %s ORDER BY id", (enc["encounter"],)
    )
    assert [(f["formdir"], f["form_name"]) for f in attached] == [
        ("newpatient", "New Patient Encounter"),
        ("soap", "SOAP"),
    ]
    assert attached[0]["form_id"] == enc["id"] and attached[0]["user"] == "physician"
    assert attached[1]["form_id"] == enc["encounter"] + 1 and attached[1]["pid"] == 3

    # Our encounter now carries the OpenEMR number.
    ours = client.get(f"/api/v1/encounters/{encounter_id}", headers=world.auth("admin")).json()
    assert ours["external_ids"] == {"openemr_encounter": enc["encounter"]}

    # A second note on the same encounter goes to the same OpenEMR encounter.
    soap_note(client, settings, world, encounter_id)
    second = [j for j in jobs(settings) if j.id != job.id]
    runtime.run(writeback.KIND, second[0].id)
    assert len(query(openemr_url, "SELECT id FROM form_encounter WHERE pid = 3")) == 1
    assert [f["encounter"] for f in soap_forms(openemr_url)] == [enc["encounter"]] * 2
    assert note_id


def test_a_crash_between_openemr_and_our_database_creates_no_second_encounter(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, _ = linked_world(client, settings, tenant_a, openemr_url)
    encounter_id = new_encounter(client, settings, world, pid=3)
    note_id = soap_note(client, settings, world, encounter_id)
    [job] = jobs(settings)
    version = int(job.subject_type.removeprefix(writeback.SUBJECT_PREFIX))
    with session_scope(settings.resolved_database_url) as session:
        item = writeback.form_input(session, note_id, version)
    # OpenEMR commits; the process dies before our encounter learns its number.
    placed = writeback.write(openemr_url, item)
    assert placed.encounter_created
    setup_jobs(settings).run(writeback.KIND, job.id)  # the job runs again
    assert len(query(openemr_url, "SELECT id FROM form_encounter WHERE pid = 3")) == 1
    assert len(soap_forms(openemr_url)) == 1
    ours = client.get(f"/api/v1/encounters/{encounter_id}", headers=world.auth("admin")).json()
    assert ours["external_ids"] == {"openemr_encounter": placed.encounter}


def test_vitals_go_to_form_vitals_in_openemr_units_and_an_amendment_does_not_repeat_them(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url)
    note_id = dictated_note(settings, world, encounter_id)
    sign(client, world, note_id)
    runtime = setup_jobs(settings)
    [job] = jobs(settings)
    runtime.run(writeback.KIND, job.id)
    [vitals] = query(openemr_url, "SELECT * FROM form_vitals")
    assert (vitals["bps"], vitals["bpd"]) == ("142", "88")
    assert vitals["pulse"] == Decimal("78") and vitals["respiration"] == Decimal("16")
    assert vitals["temperature"] == Decimal("101.3")  # 38.5 °C
    assert vitals["weight"] == Decimal("176.37")  # 80 kg in lb
    assert vitals["oxygen_saturation"] == Decimal("97")
    assert vitals["height"] == Decimal("0") and vitals["BMI"] == Decimal("0")  # not stated
    assert (vitals["pid"], vitals["user"], vitals["activity"]) == (1, "physician", 1)
    [attached] = query(openemr_url, "SELECT * FROM forms WHERE formdir = 'vitals'")
    assert (attached["form_id"], attached["encounter"], attached["form_name"]) == (
        vitals["id"],
        2,
        "Vitals",
    )
    # Lists stay untouched unless the tenant opted in.
    assert query(openemr_url, "SELECT id FROM lists") == []

    amend = client.post(
        f"/api/v1/notes/{note_id}/amend",
        json={"sections": {"plan": "Continue lisinopril; recheck in 4 weeks."}, "reason": "Plan"},
        headers=world.auth("clinician"),
    )
    assert amend.status_code == 200, amend.text
    sign(client, world, note_id)
    later = [j for j in jobs(settings) if j.id != job.id]
    runtime.run(writeback.KIND, later[0].id)
    assert len(soap_forms(openemr_url)) == 2
    assert len(query(openemr_url, "SELECT id FROM form_vitals")) == 1  # same vitals, one form
    ledger = query(
        openemr_url,
        "SELECT note_version, superseded_by_version, form_vitals_id FROM clinscribe_writeback "
        "ORDER BY note_version",
    )
    assert [r["form_vitals_id"] for r in ledger] == [vitals["id"], vitals["id"]]
    assert ledger[0]["superseded_by_version"] == ledger[1]["note_version"]


def test_accepted_problems_and_medications_go_to_lists_when_the_tenant_opts_in(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, encounter_id = linked_world(client, settings, tenant_a, openemr_url, write_lists=True)
    shown = client.get("/api/v1/tenant/openemr", headers=world.auth("admin")).json()
    assert shown["write_lists"] is True
    note_id = dictated_note(settings, world, encounter_id)
    # Accept the problem and the first lisinopril mention; leave the vitals undecided.
    r = client.patch(
        f"/api/v1/notes/{note_id}",
        json={"facts": {"p0": "accepted", "m0": "accepted"}},
        headers=world.auth("clinician"),
    )
    assert r.status_code == 200, r.text
    sign(client, world, note_id)
    runtime = setup_jobs(settings)
    [job] = jobs(settings)
    runtime.run(writeback.KIND, job.id)
    rows = query(openemr_url, "SELECT * FROM lists ORDER BY id")
    assert [(r["type"], r["title"], r["diagnosis"]) for r in rows] == [
        ("medical_problem", "Hypertension", "ICD10:I10"),
        ("medication", "lisinopril", ""),
    ]
    assert all(r["pid"] == 1 and r["activity"] == 1 and r["enddate"] is None for r in rows)
    assert all(r["user"] == "physician" and len(r["uuid"]) == 16 for r in rows)

    # An amendment keeping them adds nothing the chart already lists.
    client.post(
        f"/api/v1/notes/{note_id}/amend",
        json={"sections": {"plan": "Continue lisinopril."}, "reason": "Plan"},
        headers=world.auth("clinician"),
    )
    sign(client, world, note_id)
    later = [j for j in jobs(settings) if j.id != job.id]
    runtime.run(writeback.KIND, later[0].id)
    assert len(query(openemr_url, "SELECT id FROM lists")) == 2
    assert len(soap_forms(openemr_url)) == 2


def test_a_sync_between_the_write_and_our_record_links_our_encounter_not_a_copy(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    world, _ = linked_world(client, settings, tenant_a, openemr_url)
    encounter_id = new_encounter(client, settings, world, pid=3)
    note_id = soap_note(client, settings, world, encounter_id)
    [job] = jobs(settings)
    version = int(job.subject_type.removeprefix(writeback.SUBJECT_PREFIX))
    with session_scope(settings.resolved_database_url) as session:
        item = writeback.form_input(session, note_id, version)
    placed = writeback.write(openemr_url, item)  # OpenEMR committed, our row not updated yet
    synced = client.post("/api/v1/openemr/sync", headers=world.auth("admin")).json()
    assert (synced["encounters_created"], synced["encounters_updated"]) == (0, 1)
    ours = client.get(f"/api/v1/encounters/{encounter_id}", headers=world.auth("admin")).json()
    assert ours["external_ids"] == {"openemr_encounter": placed.encounter}
    setup_jobs(settings).run(writeback.KIND, job.id)
    assert [j.status for j in jobs(settings)] == ["succeeded"]
    listed = client.get(
        "/api/v1/encounters", params={"patient_id": ours["patient_id"]}, headers=world.auth("admin")
    ).json()
    assert [e["id"] for e in listed["items"]] == [encounter_id]


def test_write_lists_is_off_by_default_and_must_be_a_boolean(
    client: TestClient, tenant_a: TenantWorld, openemr_url: str
) -> None:
    admin = tenant_a.auth("admin")
    body = {"database_url": openemr_url, "write_back": "soap"}
    assert client.put("/api/v1/tenant/openemr", json=body, headers=admin).status_code == 200
    assert client.get("/api/v1/tenant/openemr", headers=admin).json()["write_lists"] is False
    for bad in ("maybe", 2, None, [True]):
        r = client.put("/api/v1/tenant/openemr", json={**body, "write_lists": bad}, headers=admin)
        assert r.status_code == 422, (bad, r.text)
    assert client.get("/api/v1/tenant/openemr", headers=admin).json()["write_lists"] is False
