"""Review paths that mutation testing found untested (docs/mutation.md): an encounter's note
list, the transcription shortcuts, who submitted and approved, fact labels and decisions."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.db.models import Note
from clinscribe.db.session import session_scope
from clinscribe.errors import Unprocessable
from clinscribe.notes.core import Entity, NoteContent, Problem, Vital
from clinscribe.review import decisions
from tests.support import TenantWorld, add_patient_and_encounter

from .test_workflow import draft


def test_an_encounters_notes_are_listed_oldest_first_and_only_to_its_tenant(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    soap = draft(client, tenant_a, "soap")
    progress = draft(client, tenant_a, "progress")
    url = f"/api/v1/encounters/{tenant_a.encounter_id}/notes"
    listed = client.get(url, headers=tenant_a.auth("reviewer"))
    assert listed.status_code == 200
    assert [n["id"] for n in listed.json()] == [soap["id"], progress["id"]]
    assert client.get(url, headers=tenant_b.auth("reviewer")).status_code == 404


def test_the_approve_shortcut_submits_a_draft_and_approves_it(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    note = draft(client, tenant_a)
    url = f"/api/v1/transcriptions/{note['transcript_id']}/approve"
    # The clinician may not approve their own draft unless the tenant allows it.
    assert client.post(url, headers=tenant_a.auth("clinician")).status_code == 403
    elsewhere = client.post(url, headers=tenant_b.auth("reviewer"))
    assert elsewhere.status_code == 404  # another tenant's transcript has no note to them
    assert elsewhere.json()["detail"] == "no note drafted from this transcription"
    approved = client.post(url, headers=tenant_a.auth("reviewer"))
    assert approved.status_code == 200
    assert approved.json()["id"] == note["id"] and approved.json()["status"] == "approved"
    events = client.get(
        "/api/v1/audit",
        params={"object_id": note["id"], "limit": 50},
        headers=tenant_a.auth("admin"),
    ).json()["items"]
    assert "note.approve" in {e["action"] for e in events}
    # Approved already: approving again is an illegal move.
    assert client.post(url, headers=tenant_a.auth("reviewer")).status_code == 409


def test_the_reject_shortcut_rejects_a_draft_with_its_reason(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    note = draft(client, tenant_a)
    url = f"/api/v1/transcriptions/{note['transcript_id']}/reject"
    reviewer = tenant_a.auth("reviewer")
    assert (
        client.post(url, json={"reason": "x"}, headers=tenant_a.auth("clinician")).status_code
        == 403
    )
    assert client.post(url, json={"reason": "  "}, headers=reviewer).status_code == 422
    rejected = client.post(url, json={"reason": " Exam missing. "}, headers=reviewer)
    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["id"], body["status"], body["rejected_reason"]) == (
        note["id"],
        "rejected",
        "Exam missing.",
    )
    events = client.get(
        "/api/v1/audit",
        params={"object_id": note["id"], "limit": 50},
        headers=tenant_a.auth("admin"),
    ).json()["items"]
    assert "note.reject" in {e["action"] for e in events}


def test_a_transcription_without_a_note_has_nothing_to_approve(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    text = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/text",
        json={"text": "[doctor] Hello.\n[patient] Hi."},
        headers=tenant_a.auth("clinician"),
    )
    assert text.status_code == 201
    transcript_id = text.json()["transcript_id"]
    url = f"/api/v1/transcriptions/{transcript_id}/approve"
    response = client.post(url, headers=tenant_a.auth("reviewer"))
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "no note drafted from this transcription",
    }


def test_who_submitted_and_who_approved_are_recorded_on_the_note(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    note = draft(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}"
    assert client.post(f"{url}/submit", headers=tenant_a.auth("clinician")).status_code == 200
    assert client.post(f"{url}/approve", headers=tenant_a.auth("reviewer")).status_code == 200
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Note, note["id"])
        assert row is not None
        assert row.submitted_by == tenant_a.users["clinician"]
        assert row.approved_by == tenant_a.users["reviewer"]


def test_an_amendment_carries_its_fact_decisions(client: TestClient, tenant_a: TenantWorld) -> None:
    clin, rev = tenant_a.auth("clinician"), tenant_a.auth("reviewer")
    note = draft(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}"
    assert client.post(f"{url}/submit", headers=clin).status_code == 200
    assert client.post(f"{url}/approve", headers=rev).status_code == 200
    assert client.post(f"{url}/sign", headers=clin).status_code == 200
    medication = next(f["id"] for f in note["facts"] if f["kind"] == "medication")
    amended = client.post(
        f"{url}/amend",
        json={"sections": {}, "reason": "drug stopped", "facts": {medication: "removed"}},
        headers=clin,
    )
    assert amended.status_code == 200, amended.text
    decided = {f["id"]: f["decision"] for f in amended.json()["facts"]}
    assert decided[medication] == "removed"


def test_fact_labels_name_what_a_decision_was_about() -> None:
    blood_pressure = Vital.model_validate(
        {
            "type": "blood_pressure",
            "systolic": 128,
            "diastolic": 82,
            "unit": "mmHg",
            "begin": 0,
            "end": 9,
        }
    )
    assert decisions.label(blood_pressure) == "vital blood pressure 128/82 mmHg"
    heart_rate = Vital.model_validate(
        {"type": "heart_rate", "value": 88, "unit": "", "begin": 0, "end": 2}
    )
    assert decisions.label(heart_rate) == "vital heart rate 88"
    coded = Problem.model_validate({"text": "hypertension", "code": "I10"})
    assert decisions.label(coded) == "problem hypertension (I10)"
    assert decisions.label(Problem.model_validate({"text": "headache"})) == "problem headache"
    dosed = Entity.model_validate(
        {
            "text": "amlodipine",
            "category": "MEDICATION",
            "type": "GENERIC_NAME",
            "begin": 0,
            "end": 10,
            "score": 0.9,
            "attributes": {"dosage": "5 mg", "frequency": "once daily"},
        }
    )
    assert decisions.label(dosed) == "medication amlodipine — 5 mg, once daily"
    plain = dosed.model_copy(update={"text": "aspirin", "attributes": None})
    assert decisions.label(plain) == "medication aspirin"


def content_with_hypertension() -> NoteContent:
    def entity(text: str, category: str, codes: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "text": text,
            "category": category,
            "type": "DX_NAME" if category == "MEDICAL_CONDITION" else "GENERIC_NAME",
            "begin": 0,
            "end": len(text),
            "score": 0.9,
            "codes": codes,
        }

    icd = {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10", "display": "x"}
    return NoteContent.model_validate(
        {
            "template": "soap",
            "entities": [
                entity("high blood pressure", "MEDICAL_CONDITION", [icd]),
                entity("amlodipine", "MEDICATION", []),
            ],
            "problems": [{"text": "Essential hypertension", "code": "I10"}],
            "vitals": [],
        }
    )


def test_removing_a_coded_problem_removes_the_condition_with_its_code() -> None:
    content = content_with_hypertension()
    changed = decisions.apply(content, {"p0": "removed"})
    assert changed == ["removed problem Essential hypertension (I10)"]
    assert [e.text for e in content.entities] == ["amlodipine"]
    assert content.problems == []


def test_unknown_fact_ids_are_named_in_the_refusal() -> None:
    with pytest.raises(Unprocessable, match=r"^unknown fact ids: m7, p9$"):
        decisions.apply(
            content_with_hypertension(), {"p9": "removed", "m7": "accepted", "p0": "accepted"}
        )


def audited(client: TestClient, world: TenantWorld, note_id: str) -> set[str]:
    events = client.get(
        "/api/v1/audit", params={"object_id": note_id, "limit": 50}, headers=world.auth("admin")
    ).json()["items"]
    return {e["action"] for e in events}


def test_drafts_for_two_encounters_stay_two_notes(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    first = draft(client, tenant_a)
    _, other_encounter = add_patient_and_encounter(settings, tenant_a)
    second = draft(client, dataclasses.replace(tenant_a, encounter_id=other_encounter))
    assert second["id"] != first["id"] and second["version"] == 1
    again = client.get(f"/api/v1/notes/{first['id']}", headers=tenant_a.auth("clinician"))
    assert again.json()["version"] == 1


def test_versions_name_author_and_reason_and_diff_the_fact_decisions(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin = tenant_a.auth("clinician")
    note = draft(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}"
    edited = client.patch(url, json={"sections": {"plan": "Rest."}}, headers=clin)
    assert edited.status_code == 200
    medication = next(f["id"] for f in note["facts"] if f["kind"] == "medication")
    decided = client.patch(url, json={"facts": {medication: "accepted"}}, headers=clin)
    assert decided.status_code == 200
    versions = client.get(f"{url}/versions", headers=clin).json()
    assert [v["author_id"] for v in versions] == [tenant_a.users["clinician"]] * 3
    assert versions[1]["reason"] == "edited"
    assert versions[2]["reason"].startswith("accepted medication ")
    # The text has no final newline; the decisions start on lines of their own.
    assert "\n+\n+REVIEWED FACTS\n+accepted: medication " in versions[2]["diff"]


def test_a_missing_note_is_404_and_reading_a_note_is_audited(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    reviewer = tenant_a.auth("reviewer")
    missing = client.get("/api/v1/notes/no-such-note", headers=reviewer)
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "note not found"}
    note = draft(client, tenant_a)
    assert "note.read" not in audited(client, tenant_a, note["id"])
    assert client.get(f"/api/v1/notes/{note['id']}", headers=reviewer).status_code == 200
    assert "note.read" in audited(client, tenant_a, note["id"])


def test_the_shortcuts_act_on_the_latest_note_of_the_transcript(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    soap = draft(client, tenant_a, "soap")
    progress = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/notes",
        json={"template": "progress", "transcript_id": soap["transcript_id"]},
        headers=tenant_a.auth("clinician"),
    )
    assert progress.status_code == 201, progress.text
    url = f"/api/v1/transcriptions/{soap['transcript_id']}/approve"
    approved = client.post(url, headers=tenant_a.auth("reviewer"))
    assert approved.status_code == 200
    assert approved.json()["id"] == progress.json()["id"]
