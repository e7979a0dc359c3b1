"""Review paths that mutation testing found untested (docs/mutation.md): an encounter's note
list and the transcription shortcuts (approve or reject the note drafted from a transcript)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import TenantWorld

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
    assert client.post(url, headers=tenant_b.auth("reviewer")).status_code == 404
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
