"""From the visit to the record: a signed note's facts and plan items become proposed entries."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from clinscribe.clinical import queries
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from tests.support import TenantWorld, add_document

VISIT = (
    "[doctor] What medicines are you taking?\n"
    "[patient] I take metformin 500 mg twice daily and lisinopril 10 mg daily.\n"
    "[doctor] Any allergies?\n"
    "[patient] I'm allergic to penicillin, it gives me a rash.\n"
    "[doctor] Your blood pressure is 150/95 and heart rate 88.\n"
    "[doctor] You have type 2 diabetes and hypertension. Let's start atorvastatin 20 mg daily. "
    "I'll order an HbA1c and a lipid panel, and refer you to cardiology.\n"
    "[patient] OK. I also take metformin every morning.\n"
)


def _signed_note(client: TestClient, world: TenantWorld, text: str = VISIT) -> str:
    clinician, reviewer = world.auth("clinician"), world.auth("reviewer")
    enc = world.encounter_id
    assert (
        client.post(
            f"/api/v1/encounters/{enc}/text", json={"text": text}, headers=clinician
        ).status_code
        == 201
    )
    note = client.post(
        f"/api/v1/encounters/{enc}/notes", json={"template": "soap"}, headers=clinician
    ).json()
    nid = note["id"]
    assert client.post(f"/api/v1/notes/{nid}/submit", headers=clinician).status_code == 200
    assert client.post(f"/api/v1/notes/{nid}/approve", headers=reviewer).status_code == 200
    r = client.post(f"/api/v1/notes/{nid}/sign", headers=clinician)
    assert r.status_code == 200, r.text
    return str(nid)


def _items(client: TestClient, world: TenantWorld, seg: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/patients/{world.patient_id}/{seg}", headers=world.auth("clinician"))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_signing_a_note_proposes_its_facts_and_plan_items_with_provenance(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    nid = _signed_note(client, tenant_a)
    obs = {o["code"]: o for o in _items(client, tenant_a, "observations")}
    assert {c: o["value_quantity"] for c, o in obs.items()} == {
        "8480-6": 150,
        "8462-4": 95,
        "8867-4": 88,
    }
    assert obs["8480-6"]["unit"] == "mm[Hg]"
    assert {o["state"] for o in obs.values()} == {"proposed"}
    source = obs["8867-4"]["sources"][0]
    assert (source["kind"], source["note_id"], source["note_version"]) == ("note", nid, 1)
    assert len(source["segment_ids"]) == 1
    meds = {m["drug"]: m for m in _items(client, tenant_a, "medications")}
    assert set(meds) == {"metformin", "lisinopril", "atorvastatin"}
    # Said twice, metformin is one statement whose note source names both segments.
    assert len(meds["metformin"]["sources"][0]["segment_ids"]) == 2
    assert (meds["metformin"]["kind"], meds["metformin"]["dose"]) == ("statement", "500 mg")
    assert (meds["atorvastatin"]["kind"], meds["atorvastatin"]["status"]) == ("request", "draft")
    assert meds["atorvastatin"]["intent"] == "proposal"
    assert {c["code"] for c in _items(client, tenant_a, "conditions")} == {"E11.9", "I10"}
    assert [a["substance"] for a in _items(client, tenant_a, "allergies")] == ["penicillins"]
    orders = {o["display"]: o for o in _items(client, tenant_a, "orders")}
    assert set(orders) == {"Hemoglobin A1c", "Lipid panel", "Referral to cardiology"}
    assert orders["Hemoglobin A1c"]["code"] == "4548-4"
    assert {(o["status"], o["state"]) for o in orders.values()} == {("draft", "proposed")}
    # Nothing is active until a clinician decides.
    with session_scope(settings.resolved_database_url) as session:
        assert queries.list_medications(session, tenant_a.id, patient_id=tenant_a.patient_id) == []
    r = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/record/accept-all",
        json={"note_id": nid},
        headers=tenant_a.auth("clinician"),
    )
    assert r.json()["accepted"] == {
        "observation": 3,
        "medication": 3,
        "order": 3,
        "allergy": 1,
        "condition": 2,
    }
    summary = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/summary", headers=tenant_a.auth("clinician")
    ).json()
    assert {m["drug"] for m in summary["active_medications"]} == set(meds)
    assert {o["display"] for o in summary["open_orders"]} == set(orders)
    assert summary["pending_review"] == 0


def test_a_fact_already_in_the_record_gains_a_source_instead_of_a_duplicate(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clinician = tenant_a.auth("clinician")
    pid = tenant_a.patient_id
    made = client.post(
        f"/api/v1/patients/{pid}/medications", json={"drug": "Glucophage"}, headers=clinician
    )
    assert made.status_code == 201
    _signed_note(client, tenant_a)
    meds = [m for m in _items(client, tenant_a, "medications") if m["kind"] == "statement"]
    metformin = [m for m in meds if m["id"] == made.json()["id"]]
    assert [s["kind"] for s in metformin[0]["sources"]] == ["manual", "note"]
    assert metformin[0]["state"] == "active"
    assert not any(m["drug"] == "metformin" for m in meds)


def test_document_labs_enter_as_proposed_observations_once(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    from datetime import date

    from clinscribe.db.models import Document, LabObservation

    document_id, _ = add_document(settings, tenant_a, tenant_a.patient_id)
    with session_scope(settings.resolved_database_url) as session:
        session.add(
            LabObservation(
                tenant_id=tenant_a.id,
                patient_id=tenant_a.patient_id,
                document_id=document_id,
                page=1,
                span_begin=40,
                span_end=72,
                analyte_printed="Glucose",
                canonical="Glucose",
                loinc="2345-7",
                value=7.9,
                value_printed="7.9",
                unit="mmol/L",
                ucum="mmol/L",
                ref_low=3.9,
                ref_high=5.5,
                flag="H",
                effective_date=date(2025, 3, 4),
                low_confidence=False,
            )
        )
        assert session.get(Document, document_id) is not None
    path = f"/api/v1/patients/{tenant_a.patient_id}/record/import-documents"
    first = client.post(path, headers=tenant_a.auth("key_write"))
    assert first.json() == {"proposed": {"observation": 1}}
    assert client.post(path, headers=tenant_a.auth("clinician")).json() == {"proposed": {}}
    [obs] = _items(client, tenant_a, "observations")
    assert (obs["code"], obs["interpretation"], obs["state"], obs["source"]) == (
        "2345-7",
        "H",
        "proposed",
        "document",
    )
    assert obs["sources"] == [
        {"kind": "document", "document_id": document_id, "page": 1, "start": 40, "end": 72}
    ]
    assert client.post(path, headers=tenant_a.auth("reviewer")).status_code == 403


def test_a_document_read_later_proposes_its_labs_when_its_extraction_is_stored(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    from clinscribe.db.models import Document
    from clinscribe.documents import service as documents
    from clinscribe.documents.core import extract
    from clinscribe.documents.pipeline import analyse
    from tests.support import LAB_TEXT

    document_id, _ = add_document(settings, tenant_a, tenant_a.patient_id)
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Document, document_id)
        assert row is not None
        pages = extract.extract_pages(LAB_TEXT.encode())
        documents.store_extraction(
            session=session, document=row, result=analyse(pages, "text/plain")
        )
    labs = _items(client, tenant_a, "observations")
    assert {o["display"] for o in labs} >= {"Glucose", "Sodium"}
    assert {(o["state"], o["category"]) for o in labs} == {("proposed", "laboratory")}
    assert {o["sources"][0]["document_id"] for o in labs} == {document_id}


def test_a_draft_notes_medications_join_the_interaction_check_on_request(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    from tests.support import add_record_entry

    clinician = tenant_a.auth("clinician")
    pid, enc = tenant_a.patient_id, tenant_a.encounter_id
    add_record_entry(settings, tenant_a, pid, "medication", state="active", drug="warfarin")
    text = "[doctor] For the knee pain take ibuprofen 400 mg three times daily.\n[patient] OK.\n"
    assert (
        client.post(
            f"/api/v1/encounters/{enc}/text", json={"text": text}, headers=clinician
        ).status_code
        == 201
    )
    note = client.post(
        f"/api/v1/encounters/{enc}/notes", json={"template": "soap"}, headers=clinician
    ).json()
    path = f"/api/v1/patients/{pid}/interactions"
    assert client.get(path, headers=clinician).json()["alerts"] == []
    with_note = client.get(f"{path}?note_id={note['id']}", headers=clinician).json()
    assert [a["pair_key"] for a in with_note["alerts"]] == ["drug-drug:ibuprofen|warfarin"]
    # Another patient's note, or another tenant asking, finds nothing.
    other = f"/api/v1/patients/{tenant_b.patient_id}/interactions?note_id={note['id']}"
    assert client.get(other, headers=tenant_b.auth("clinician")).status_code == 404
