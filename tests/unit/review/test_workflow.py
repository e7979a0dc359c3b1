"""Drafting and review over HTTP: versions, diffs, the state machine, templates."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import TenantWorld

DIALOGUE = (
    "[doctor] What brings you in today?\n"
    "[patient] I've had a cough for three days and a sore throat.\n"
    "[doctor] Any fever or shortness of breath?\n"
    "[patient] No fever. No shortness of breath.\n"
    "[doctor] Your temperature is 98.6 and blood pressure 128 over 82.\n"
    "[doctor] Let's get a rapid strep test and start benzonatate 100 mg three times a day.\n"
)


def draft(client: TestClient, world: TenantWorld, template: str = "soap") -> dict:  # type: ignore[type-arg]
    clin = world.auth("clinician")
    text = client.post(
        f"/api/v1/encounters/{world.encounter_id}/text", json={"text": DIALOGUE}, headers=clin
    )
    assert text.status_code == 201, text.text
    response = client.post(
        f"/api/v1/encounters/{world.encounter_id}/notes", json={"template": template}, headers=clin
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/notes/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


def test_a_draft_follows_the_contract_with_evidence(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    note = draft(client, tenant_a)
    content = note["content"]
    assert note["status"] == "draft" and note["version"] == 1 and content["template"] == "soap"
    assert [s["key"] for s in content["sections"]][:2] == ["subjective", "objective"]
    assert content["text"].startswith("SUBJECTIVE")
    cited = [e for s in content["sections"] for e in s["evidence"]]
    assert cited and all({"segment", "begin", "end"} <= set(e) for e in cited)
    assert any("benzonatate" in s["text"].lower() for s in content["sections"])


def test_the_whole_review_path_to_signature_and_amendment(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin, rev = tenant_a.auth("clinician"), tenant_a.auth("reviewer")
    note = draft(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}"
    edited = client.patch(
        url,
        json={
            "sections": {"plan": "Rapid strep test. Benzonatate 100 mg TID."},
            "reason": "tightened plan",
        },
        headers=clin,
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert "PLAN\nRapid strep test." in edited.json()["content"]["text"]
    assert client.post(f"{url}/submit", headers=clin).json()["status"] == "in_review"
    assert client.post(f"{url}/approve", headers=rev).json()["status"] == "approved"
    signed = client.post(f"{url}/sign", headers=clin).json()
    assert (
        signed["status"] == "signed" and len(signed["signed_sha256"]) == 64 and signed["signed_at"]
    )
    amended = client.post(
        f"{url}/amend",
        json={"sections": {"plan": "Strep negative; supportive care."}, "reason": "lab result"},
        headers=clin,
    ).json()
    assert (
        amended["status"] == "draft"
        and amended["replaces_version"] == 2
        and amended["version"] == 3
    )
    versions = client.get(f"{url}/versions", headers=rev).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["diff"] is None and "+Rapid strep test." in versions[1]["diff"]
    assert versions[2]["reason"] == "amendment: lab result"
    events = client.get(
        "/api/v1/audit",
        params={"object_id": note["id"], "limit": 50},
        headers=tenant_a.auth("admin"),
    ).json()["items"]
    actions = {e["action"] for e in events}
    assert {
        "note.draft",
        "note.edit",
        "note.submit",
        "note.approve",
        "note.sign",
        "note.amend",
    } <= actions


def test_illegal_moves_are_409_and_wrong_people_403(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin, rev, admin = tenant_a.auth("clinician"), tenant_a.auth("reviewer"), tenant_a.auth("admin")
    note = draft(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}"
    assert client.post(f"{url}/sign", headers=clin).status_code == 409  # not approved yet
    assert client.post(f"{url}/approve", headers=rev).status_code == 409  # not submitted
    assert (
        client.post(
            f"{url}/amend", json={"sections": {"plan": "x"}, "reason": "r"}, headers=clin
        ).status_code
        == 409
    )
    client.post(f"{url}/submit", headers=clin)
    assert client.post(f"{url}/approve", headers=clin).status_code == 403  # no self-approval
    assert (
        client.patch(url, json={"sections": {"plan": "x"}}, headers=clin).status_code == 409
    )  # in review
    assert client.post(f"{url}/reject", json={"reason": ""}, headers=rev).status_code == 422
    rejected = client.post(f"{url}/reject", json={"reason": "Exam missing."}, headers=rev).json()
    assert rejected["status"] == "rejected" and rejected["rejected_reason"] == "Exam missing."
    assert client.patch(url, json={"sections": {"nope": "x"}}, headers=clin).status_code == 422
    assert client.patch(url, json={"sections": {"plan": "x"}}, headers=admin).status_code == 403
    back = client.patch(url, json={"sections": {"objective": "Lungs clear."}}, headers=clin).json()
    assert back["status"] == "draft" and back["rejected_reason"] is None


def test_self_approval_follows_the_tenant_setting(
    client: TestClient, tenant_a: TenantWorld, settings
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from clinscribe.db.models import Tenant
    from clinscribe.db.session import session_scope

    with session_scope(settings.resolved_database_url) as session:
        session.execute(
            update(Tenant).where(Tenant.id == tenant_a.id).values(allow_self_approval=True)
        )
    clin = tenant_a.auth("clinician")
    note = draft(client, tenant_a)
    client.post(f"/api/v1/notes/{note['id']}/submit", headers=clin)
    assert (
        client.post(f"/api/v1/notes/{note['id']}/approve", headers=clin).json()["status"]
        == "approved"
    )


def test_redrafting_adds_a_version_to_the_open_draft(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    first = draft(client, tenant_a)
    again = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/notes",
        json={"template": "soap"},
        headers=tenant_a.auth("clinician"),
    ).json()
    assert again["id"] == first["id"] and again["version"] == 2
    hp = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/notes",
        json={"template": "history_and_physical"},
        headers=tenant_a.auth("clinician"),
    )
    assert hp.status_code == 201 and hp.json()["id"] != first["id"]


def test_drafting_needs_a_transcript_and_a_known_template(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin = tenant_a.auth("clinician")
    url = f"/api/v1/encounters/{tenant_a.encounter_id}/notes"
    assert client.post(url, json={"template": "soap"}, headers=clin).status_code == 422
    client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/text", json={"text": DIALOGUE}, headers=clin
    )
    assert client.post(url, json={"template": "nope"}, headers=clin).status_code == 404
    assert client.post(url, json={"template": ""}, headers=clin).status_code == 422


def test_templates_list_get_and_tenant_defined(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    keys = {t["key"] for t in client.get("/api/v1/templates", headers=admin).json()}
    assert {"soap", "history_and_physical", "progress_note", "apso"} <= keys
    soap = client.get("/api/v1/templates/soap", headers=tenant_a.auth("clinician")).json()
    assert soap["capture_prompt"] and soap["sections"][0]["title"]
    custom = {
        "key": "sports",
        "title": "Sports physical",
        "sections": [
            {
                "key": "clearance",
                "title": "Clearance",
                "instruction": "Cleared or not.",
                "fact_kinds": ["assessment", "plan"],
            }
        ],
    }
    assert client.post("/api/v1/templates", json=custom, headers=admin).status_code == 201
    assert client.post("/api/v1/templates", json=custom, headers=admin).status_code == 409
    shadow = client.post("/api/v1/templates", json={**custom, "key": "soap"}, headers=admin)
    assert shadow.status_code in (409, 422) and "soap" in shadow.json()["detail"]
    bad = {
        **custom,
        "key": "broken",
        "sections": [{"key": "x", "title": "X", "fact_kinds": ["nonsense"]}],
    }
    assert client.post("/api/v1/templates", json=bad, headers=admin).status_code == 422
    assert (
        client.get("/api/v1/templates/sports", headers=tenant_a.auth("reviewer")).status_code == 200
    )
    assert client.get("/api/v1/templates/sports", headers=tenant_b.auth("admin")).status_code == 404


def test_admins_edit_and_delete_tenant_templates_but_not_built_ins(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    body = {
        "key": "brief",
        "title": "Brief",
        "sections": [{"key": "summary", "title": "Summary", "fact_kinds": ["assessment"]}],
    }
    assert client.post("/api/v1/templates", json=body, headers=admin).status_code == 201
    changed = client.put(
        "/api/v1/templates/brief", headers=admin, json={**body, "title": "Brief v2"}
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Brief v2"
    assert client.put("/api/v1/templates/soap", json=body, headers=admin).status_code == 409
    bad = client.put("/api/v1/templates/brief", headers=admin, json={"title": "x", "sections": []})
    assert bad.status_code == 422
    assert client.delete("/api/v1/templates/brief", headers=admin).status_code == 204
    assert client.get("/api/v1/templates/brief", headers=admin).status_code == 404
    assert client.delete("/api/v1/templates/brief", headers=admin).status_code == 404
