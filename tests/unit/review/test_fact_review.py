"""Accept/remove decisions on extracted facts: kept, versioned and obeyed by the FHIR bundle."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import TenantWorld

VISIT = (
    "[doctor] What brings you in today?\n"
    "[patient] My blood pressure has been high and I have a headache.\n"
    "[doctor] Your blood pressure is 150 over 95 and heart rate 88.\n"
    "[doctor] You take lisinopril 10 mg daily. Start amlodipine 5 mg once daily.\n"
    "[doctor] Assessment: essential hypertension, uncontrolled. Type 2 diabetes.\n"
)


def drafted(client: TestClient, world: TenantWorld) -> dict[str, Any]:
    clin = world.auth("clinician")
    url = f"/api/v1/encounters/{world.encounter_id}"
    assert client.post(f"{url}/text", json={"text": VISIT}, headers=clin).status_code == 201
    note = client.post(f"{url}/notes", json={"template": "soap"}, headers=clin)
    assert note.status_code == 201, note.text
    return note.json()  # type: ignore[no-any-return]


def fact_id(note: dict[str, Any], words: str) -> str:
    for fact in note["facts"]:
        described = fact["fact"].get("text") or fact["fact"].get("type")
        if words.lower() == str(described).lower():
            return str(fact["id"])
    raise AssertionError(f"no fact {words!r} in {[f['fact'] for f in note['facts']]}")


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_decisions_are_kept_in_a_new_version_and_shape_the_fhir_bundle(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin, rev = tenant_a.auth("clinician"), tenant_a.auth("reviewer")
    note = drafted(client, tenant_a)
    assert {f["kind"] for f in note["facts"]} == {"medication", "problem", "vital"}
    assert all(f["decision"] is None for f in note["facts"])
    lisinopril, amlodipine = fact_id(note, "lisinopril"), fact_id(note, "amlodipine")
    diabetes, pulse = fact_id(note, "Type 2 diabetes"), fact_id(note, "heart_rate")
    url = f"/api/v1/notes/{note['id']}"

    accepted = client.patch(url, json={"facts": {lisinopril: "accepted"}}, headers=clin)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["version"] == 2
    removed = client.patch(
        url,
        json={"facts": {amlodipine: "removed", diabetes: "removed", pulse: "removed"}},
        headers=clin,
    )
    assert removed.status_code == 200 and removed.json()["version"] == 3

    # A reload sees every decision; removed facts are gone from the note's own lists.
    again = client.get(url, headers=clin).json()
    decisions = {f["id"]: f["decision"] for f in again["facts"]}
    assert decisions[lisinopril] == "accepted"
    assert decisions[amlodipine] == decisions[diabetes] == decisions[pulse] == "removed"
    assert len(again["facts"]) == len(note["facts"])  # ids and listing stay put
    content = again["content"]
    names = {e["text"].lower() for e in content["entities"]}
    assert "lisinopril" in names and "amlodipine" not in names
    assert "type 2 diabetes" not in names  # the problem's condition entity goes with it
    assert "essential hypertension" in names
    assert [v["type"] for v in content["vitals"]] == ["blood_pressure"]
    assert [p["text"] for p in content["problems"]] == ["Essential hypertension"]

    # The version history names each decision, and the diff shows them.
    versions = client.get(f"{url}/versions", headers=clin).json()
    assert versions[1]["reason"].startswith("accepted medication lisinopril")
    assert "+REVIEWED FACTS" in versions[1]["diff"]
    assert "+removed: medication amlodipine" in versions[2]["diff"]
    assert "+removed: vital heart rate 88" in versions[2]["diff"]

    # A text edit keeps the decisions; a restored fact comes back.
    edited = client.patch(url, json={"sections": {"plan": "Recheck in 3 months."}}, headers=clin)
    assert {f["id"]: f["decision"] for f in edited.json()["facts"]} == decisions
    restored = client.patch(url, json={"facts": {pulse: "accepted"}}, headers=clin).json()
    assert [v["type"] for v in restored["content"]["vitals"]] == ["blood_pressure", "heart_rate"]

    # Signed and built: the bundle carries what was kept and nothing removed.
    assert client.post(f"{url}/submit", headers=clin).status_code == 200
    assert client.post(f"{url}/approve", headers=rev).status_code == 200
    assert client.post(f"{url}/sign", headers=clin).status_code == 200
    bundle = client.get(f"{url}/fhir", headers=clin).json()
    meds = [
        m["medicationCodeableConcept"]["text"].lower()
        for m in resources(bundle, "MedicationStatement")
    ]
    assert meds == ["lisinopril"]
    codes = {
        c["code"]
        for condition in resources(bundle, "Condition")
        for c in condition["code"].get("coding", [])
    }
    assert "I10" in codes and "E11.9" not in codes
    assert len(resources(bundle, "Observation")) == 2  # blood pressure, and the restored pulse

    # Signed: no more decisions (amend first).
    late = client.patch(url, json={"facts": {lisinopril: "removed"}}, headers=clin)
    assert late.status_code == 409 and late.json()["error"] == "conflict"


def test_fact_decisions_with_text_changes_make_one_version(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin = tenant_a.auth("clinician")
    note = drafted(client, tenant_a)
    body = {
        "facts": {fact_id(note, "amlodipine"): "removed"},
        "sections": {"plan": "Continue lisinopril."},
        "reason": "removed amlodipine",
    }
    response = client.patch(f"/api/v1/notes/{note['id']}", json=body, headers=clin)
    assert response.status_code == 200 and response.json()["version"] == 2
    versions = client.get(f"/api/v1/notes/{note['id']}/versions", headers=clin).json()
    assert versions[-1]["reason"] == "removed amlodipine"
    assert "Continue lisinopril." in versions[-1]["diff"]


def test_bad_fact_decisions_are_refused(client: TestClient, tenant_a: TenantWorld) -> None:
    clin, rev = tenant_a.auth("clinician"), tenant_a.auth("reviewer")
    note = drafted(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}"
    good = fact_id(note, "lisinopril")
    for body in (
        {"facts": {"m99": "removed"}},  # no such fact
        {"facts": {"x1": "accepted"}},  # no such kind
        {"facts": {good: "maybe"}},  # no such decision
        {"facts": {good: None}},
        {"facts": []},
        {},  # nothing to change
        {"facts": {}, "sections": {}},
    ):
        response = client.patch(url, json=body, headers=clin)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == "validation_error"
    assert client.get(url, headers=clin).json()["version"] == 1  # nothing was written
    # Only the encounter's clinician decides; a note in review is not editable.
    assert client.patch(url, json={"facts": {good: "accepted"}}, headers=rev).status_code == 403
    assert client.post(f"{url}/submit", headers=clin).status_code == 200
    in_review = client.patch(url, json={"facts": {good: "accepted"}}, headers=clin)
    assert in_review.status_code == 409


def test_a_redraft_keeps_decisions_on_the_facts_it_finds_again(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin = tenant_a.auth("clinician")
    note = drafted(client, tenant_a)
    lisinopril, amlodipine = fact_id(note, "lisinopril"), fact_id(note, "amlodipine")
    url = f"/api/v1/notes/{note['id']}"
    decided = client.patch(
        url, json={"facts": {lisinopril: "accepted", amlodipine: "removed"}}, headers=clin
    )
    assert decided.status_code == 200, decided.text

    encounter = f"/api/v1/encounters/{tenant_a.encounter_id}"
    again = client.post(f"{encounter}/notes", json={"template": "soap"}, headers=clin)
    assert again.status_code in (200, 201), again.text
    redrafted = again.json()
    assert redrafted["id"] == note["id"] and redrafted["version"] == 3
    decisions = {f["fact"].get("text"): f["decision"] for f in redrafted["facts"]}
    assert decisions["lisinopril"] == "accepted" and decisions["amlodipine"] == "removed"
    names = {e["text"].lower() for e in redrafted["content"]["entities"]}
    assert "amlodipine" not in names and "lisinopril" in names
    versions = client.get(f"{url}/versions", headers=clin).json()
    assert versions[-1]["reason"] == "drafted; kept 2 fact decisions"

    # A new transcript that no longer names amlodipine: only the lisinopril decision stays.
    text = VISIT.replace(" Start amlodipine 5 mg once daily.", "")
    assert client.post(f"{encounter}/text", json={"text": text}, headers=clin).status_code == 201
    latest = client.post(f"{encounter}/notes", json={"template": "soap"}, headers=clin).json()
    decisions = {f["fact"].get("text"): f["decision"] for f in latest["facts"]}
    assert "amlodipine" not in decisions and decisions["lisinopril"] == "accepted"
    assert all(d is None for name, d in decisions.items() if name != "lisinopril")
