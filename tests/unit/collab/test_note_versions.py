"""Optimistic concurrency on note edits: If-Match / body version, 409 with a diff, 428 if asked."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.support import TenantWorld, add_co_clinician, add_note


@pytest.fixture
def note_url(settings: Settings, tenant_a: TenantWorld) -> str:
    note_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id)
    return f"/api/v1/notes/{note_id}"


def test_a_note_carries_its_version_as_etag_and_an_edit_on_it_moves_it_on(
    client: TestClient, tenant_a: TenantWorld, note_url: str
) -> None:
    clin = tenant_a.auth("clinician")
    got = client.get(note_url, headers=clin)
    assert got.headers["etag"] == '"1"' and got.json()["version"] == 1
    edited = client.patch(
        note_url, json={"sections": {"plan": "Rest."}}, headers={**clin, "If-Match": '"1"'}
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"2"' and edited.json()["version"] == 2
    # The body's `version` works as well as the header (weak tags too).
    again = client.patch(
        note_url, json={"sections": {"plan": "Rest and fluids."}, "version": 2}, headers=clin
    )
    assert again.status_code == 200 and again.json()["version"] == 3
    weak = client.patch(
        note_url, json={"sections": {"plan": "Fluids."}}, headers={**clin, "If-Match": 'W/"3"'}
    )
    assert weak.status_code == 200 and weak.json()["version"] == 4
    # By default an edit naming no version applies to the current one (older scripts).
    plain = client.patch(note_url, json={"sections": {"plan": "Rest."}}, headers=clin)
    assert plain.status_code == 200 and plain.json()["version"] == 5


def test_a_stale_edit_is_refused_with_the_current_text_and_a_diff_per_section(
    settings: Settings, client: TestClient, tenant_a: TenantWorld, note_url: str
) -> None:
    add_co_clinician(settings, tenant_a)
    mine, theirs = tenant_a.auth("clinician"), tenant_a.auth("co_clinician")
    base = client.get(note_url, headers=mine).json()
    # A clinician who sees every encounter co-edits the draft; a reviewer still cannot edit.
    reviewer = client.patch(
        note_url, json={"sections": {"plan": "x"}, "version": 1}, headers=tenant_a.auth("reviewer")
    )
    assert reviewer.status_code == 403
    old_plan = _section(base["content"], "plan")
    # The co-clinician saves first, on version 1.
    first = client.patch(
        note_url,
        json={"sections": {"plan": "Strep test.", "assessment": "Pharyngitis."}, "version": 1},
        headers=theirs,
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    # My edit, also made on version 1, is refused: nothing is overwritten.
    stale = client.patch(
        note_url,
        json={"sections": {"plan": "Rest and fluids."}},
        headers={**mine, "If-Match": '"1"'},
    )
    assert stale.status_code == 409, stale.text
    body = stale.json()
    assert body["error"] == "version_conflict" and "version 2" in body["detail"]
    assert body["current_version"] == 2 and body["base_version"] == 1
    assert _section(body["current"], "plan") == "Strep test."
    assert body["diff_format"].startswith("unified diff per section")
    by_key = {s["key"]: s for s in body["sections"]}
    assert set(by_key) == {"plan", "assessment"}  # only what changed since my base
    plan = by_key["plan"]
    assert plan["base"] == old_plan and plan["current"] == "Strep test."
    assert plan["conflict"] is True and by_key["assessment"]["conflict"] is False
    assert plan["diff"].startswith("--- v1\n+++ v2\n") and "+Strep test." in plan["diff"]
    assert client.get(note_url, headers=mine).json()["version"] == 2
    # Merged and saved against the current version, it goes through.
    merged = client.patch(
        note_url,
        json={"sections": {"plan": "Strep test. Rest and fluids."}},
        headers={**mine, "If-Match": '"2"'},
    )
    assert merged.status_code == 200 and merged.json()["version"] == 3
    assert _section(merged.json()["content"], "plan") == "Strep test. Rest and fluids."
    assert _section(merged.json()["content"], "assessment") == "Pharyngitis."
    # Submitting stays with the encounter's clinician.
    assert client.post(f"{note_url}/submit", headers=theirs).status_code == 403


def test_a_malformed_or_contradicting_if_match_is_a_clear_4xx_and_writes_nothing(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld, note_url: str
) -> None:
    clin = tenant_a.auth("clinician")
    # Unknown and other tenants' notes are 404 whatever the version.
    for url, who in (
        ("/api/v1/notes/00000000-0000-0000-0000-000000000000", tenant_a),
        (note_url, tenant_b),
    ):
        headers = {**who.auth("clinician"), "If-Match": '"1"'}
        response = client.patch(url, json={"sections": {"plan": "x"}}, headers=headers)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    for value in ('"abc"', '"1", "2"', '"0"', "*", '""', '"99999999999"'):
        headers = {**clin, "If-Match": value}
        response = client.patch(note_url, json={"sections": {"plan": "x"}}, headers=headers)
        assert response.status_code == 400, (value, response.text)
        assert response.json()["error"] == "bad_if_match"
    disagree = {"sections": {"plan": "x"}, "version": 2}
    response = client.patch(note_url, json=disagree, headers={**clin, "If-Match": '"1"'})
    assert response.status_code == 400 and response.json()["error"] == "bad_if_match"
    zero = client.patch(note_url, json={"sections": {"plan": "x"}, "version": 0}, headers=clin)
    assert zero.status_code == 422 and zero.json()["error"] == "validation_error"
    # A version from the future is as stale as one from the past.
    future = client.patch(note_url, json={"sections": {"plan": "x"}, "version": 7}, headers=clin)
    assert future.status_code == 409 and future.json()["current_version"] == 1
    assert future.json()["base_version"] is None
    assert client.get(note_url, headers=clin).json()["version"] == 1


def test_an_edit_without_a_version_is_refused_when_the_site_requires_one(
    settings: Settings, tenant_a: TenantWorld, note_url: str
) -> None:
    clin = tenant_a.auth("clinician")
    strict = settings.model_copy(update={"note_edit_require_version": True})
    with TestClient(create_app(strict, start_worker=False)) as client:
        refused = client.patch(note_url, json={"sections": {"plan": "Fluids."}}, headers=clin)
        assert refused.status_code == 428, refused.text
        assert refused.json()["error"] == "version_required"
        ok = client.patch(
            note_url, json={"sections": {"plan": "Fluids."}}, headers={**clin, "If-Match": '"1"'}
        )
        assert ok.status_code == 200 and ok.json()["version"] == 2


def _section(content: dict[str, Any], key: str) -> str:
    return str(next(s["text"] for s in content["sections"] if s["key"] == key))
