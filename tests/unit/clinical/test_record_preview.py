"""The note review's preview: what signing a note will propose for the record, stored nowhere
until the note is signed, and then exactly what signing proposed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import TenantWorld

VISIT = (
    "[doctor] What brings you in today?\n"
    "[patient] My blood pressure has been high.\n"
    "[doctor] Any allergies?\n"
    "[patient] I am allergic to penicillin, it gives me hives.\n"
    "[doctor] Your blood pressure is 150 over 95 and heart rate 88.\n"
    "[doctor] You take lisinopril 10 mg daily.\n"
    "[doctor] Assessment: essential hypertension, uncontrolled.\n"
    "[doctor] Plan: start amlodipine 5 mg once daily, check a hemoglobin A1c and a lipid panel.\n"
)
EXPECTED = {
    ("observation", "Systolic blood pressure"),
    ("observation", "Diastolic blood pressure"),
    ("observation", "Heart rate"),
    ("medication", "lisinopril"),
    ("medication", "amlodipine"),
    ("condition", "Essential (primary) hypertension"),
    ("allergy", "penicillins"),
    ("order", "Hemoglobin A1c"),
    ("order", "Lipid panel"),
}
SEGMENTS = {
    "observation": "observations",
    "medication": "medications",
    "condition": "conditions",
    "allergy": "allergies",
    "order": "orders",
}


def drafted(client: TestClient, world: TenantWorld) -> str:
    headers = world.auth("clinician")
    encounter = f"/api/v1/encounters/{world.encounter_id}"
    assert client.post(f"{encounter}/text", json={"text": VISIT}, headers=headers).is_success
    note = client.post(f"{encounter}/notes", json={"template": "soap"}, headers=headers)
    assert note.status_code == 201, note.text
    return str(note.json()["id"])


def preview(client: TestClient, world: TenantWorld, note_id: str, who: str = "clinician") -> Any:
    r = client.get(f"/api/v1/notes/{note_id}/record-preview", headers=world.auth(who))
    assert r.status_code == 200, r.text
    return r.json()


def named(values: dict[str, Any]) -> str:
    return str(values.get("drug") or values.get("substance") or values.get("display"))


def listed(body: Any) -> set[tuple[str, str]]:
    return {(e["resource"], named(e["values"])) for e in body["entries"]}


def test_the_preview_lists_what_signing_will_propose_and_stores_nothing(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    note_id = drafted(client, tenant_a)
    body = preview(client, tenant_a, note_id, "reviewer")
    assert (body["note_id"], body["note_version"]) == (note_id, 1)
    assert body["patient_id"] == tenant_a.patient_id
    assert listed(body) == EXPECTED
    assert {e["record_state"] for e in body["entries"]} == {None}
    amlodipine = [e["values"] for e in body["entries"] if named(e["values"]) == "amlodipine"]
    assert [(v["kind"], v["status"]) for v in amlodipine] == [("request", "draft")]
    summary = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/summary", headers=tenant_a.auth("clinician")
    )
    assert summary.json()["pending_review"] == 0


def test_a_fact_the_clinician_removes_leaves_the_preview(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    note_id = drafted(client, tenant_a)
    facts = client.get(f"/api/v1/notes/{note_id}", headers=tenant_a.auth("clinician")).json()
    lisinopril = next(f["id"] for f in facts["facts"] if f["fact"].get("text") == "lisinopril")
    edit = client.patch(
        f"/api/v1/notes/{note_id}",
        json={"facts": {lisinopril: "removed"}},
        headers=tenant_a.auth("clinician"),
    )
    assert edit.status_code == 200, edit.text
    body = preview(client, tenant_a, note_id)
    assert body["note_version"] == 2
    assert listed(body) == EXPECTED - {("medication", "lisinopril")}


def test_signing_proposes_exactly_what_the_preview_listed(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    note_id = drafted(client, tenant_a)
    before = listed(preview(client, tenant_a, note_id))
    for verb, who in (("submit", "clinician"), ("approve", "reviewer"), ("sign", "clinician")):
        r = client.post(f"/api/v1/notes/{note_id}/{verb}", headers=tenant_a.auth(who))
        assert r.status_code == 200, (verb, r.text)
    stored = set()
    for resource, seg in SEGMENTS.items():
        page = client.get(
            f"/api/v1/patients/{tenant_a.patient_id}/{seg}",
            params={"state": "proposed", "limit": 200},
            headers=tenant_a.auth("clinician"),
        ).json()
        stored |= {(resource, named(e)) for e in page["items"]}
    assert stored == before == EXPECTED
    after = preview(client, tenant_a, note_id)
    assert listed(after) == before
    assert {e["record_state"] for e in after["entries"]} == {"proposed"}


def test_another_tenants_note_and_an_unknown_note_have_no_preview(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    note_id = drafted(client, tenant_a)
    theirs = client.get(
        f"/api/v1/notes/{note_id}/record-preview", headers=tenant_b.auth("clinician")
    )
    assert theirs.status_code == 404
    assert theirs.json()["error"] == "not_found"
    missing = client.get(
        "/api/v1/notes/00000000-0000-0000-0000-000000000000/record-preview",
        headers=tenant_a.auth("clinician"),
    )
    assert missing.status_code == 404
    anonymous = client.get(f"/api/v1/notes/{note_id}/record-preview")
    assert anonymous.status_code == 401
