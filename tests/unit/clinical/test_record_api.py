"""The record API: create, read, versioned edits, decisions, validation, filters and tenancy."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from clinscribe.clinical import queries
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from tests.support import TenantWorld, add_record_entry

BP = {
    "category": "vital-signs",
    "code": "8480-6",
    "value_quantity": 128,
    "unit": "mm[Hg]",
    "effective_at": "2026-03-01T09:30:00Z",
}


def url(world: TenantWorld, tail: str) -> str:
    return f"/api/v1/patients/{world.patient_id}/{tail}"


def create(
    client: TestClient, world: TenantWorld, seg: str, body: dict[str, Any], who: str = "clinician"
) -> dict[str, Any]:
    r = client.post(url(world, seg), json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_clinician_records_an_observation_that_is_active_at_version_one(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    r = client.post(url(tenant_a, "observations"), json=BP, headers=tenant_a.auth("clinician"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["state"], body["version"], body["status"]) == ("active", 1, "final")
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"].endswith(body["id"])
    assert body["sources"] == [{"kind": "manual"}]
    got = client.get(url(tenant_a, f"observations/{body['id']}"), headers=tenant_a.auth("reviewer"))
    assert got.status_code == 200 and got.json()["value_quantity"] == 128


def test_an_entry_from_an_api_key_is_proposed_until_a_clinician_accepts_it(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    body = create(client, tenant_a, "medications", {"drug": "metformin 500 mg"}, who="key_write")
    assert (body["state"], body["status"]) == ("proposed", "active")
    r = client.post(
        url(tenant_a, f"medications/{body['id']}/accept"), headers=tenant_a.auth("clinician")
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["version"]) == ("active", 2)
    again = client.post(
        url(tenant_a, f"medications/{body['id']}/accept"), headers=tenant_a.auth("clinician")
    )
    assert again.status_code == 409


def test_accepting_a_draft_order_makes_it_an_active_order_and_rejecting_keeps_it_out(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    clinician = tenant_a.auth("clinician")
    order = add_record_entry(settings, tenant_a, tenant_a.patient_id, "order")
    r = client.post(url(tenant_a, f"orders/{order}/accept"), headers=clinician)
    assert (r.json()["state"], r.json()["status"], r.json()["intent"]) == (
        "active",
        "active",
        "order",
    )
    other = add_record_entry(settings, tenant_a, tenant_a.patient_id, "order")
    r = client.post(
        url(tenant_a, f"orders/{other}/reject"), json={"reason": "not needed"}, headers=clinician
    )
    assert r.json()["state"] == "rejected"
    with session_scope(settings.resolved_database_url) as session:
        active = queries.list_orders(session, tenant_a.id, patient_id=tenant_a.patient_id)
        assert [o.id for o in active] == [order]
    edit = client.patch(url(tenant_a, f"orders/{other}"), json={"version": 2}, headers=clinician)
    assert edit.status_code == 409


def test_an_edit_bumps_the_version_and_keeps_the_previous_state_as_a_revision(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    clinician = tenant_a.auth("clinician")
    obs = create(client, tenant_a, "observations", BP)
    r = client.patch(
        url(tenant_a, f"observations/{obs['id']}"),
        json={"value_quantity": 132, "reason": "misread"},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["value_quantity"], r.headers["ETag"]) == (2, 132, '"2"')
    r = client.patch(
        url(tenant_a, f"observations/{obs['id']}"),
        json={"version": 2, "interpretation": "H"},
        headers=clinician,
    )
    assert r.json()["version"] == 3
    with session_scope(settings.resolved_database_url) as session:
        revisions = queries.list_revisions(session, tenant_a.id, "observation", obs["id"])
        assert [r.version for r in revisions] == [1, 2]
        assert json.loads(revisions[0].snapshot)["value_quantity"] == 128
        assert revisions[0].reason == "misread"
        assert revisions[0].changed_by == tenant_a.users["clinician"]


def test_a_stale_or_missing_version_is_refused(client: TestClient, tenant_a: TenantWorld) -> None:
    clinician = tenant_a.auth("clinician")
    obs = create(client, tenant_a, "observations", BP)
    path = url(tenant_a, f"observations/{obs['id']}")
    assert (
        client.patch(path, json={"value_quantity": 1, "version": 1}, headers=clinician).status_code
        == 200
    )
    stale = client.patch(path, json={"value_quantity": 2}, headers={**clinician, "If-Match": "1"})
    assert (stale.status_code, stale.json()["error"]) == (409, "version_conflict")
    missing = client.patch(path, json={"value_quantity": 2}, headers=clinician)
    assert (missing.status_code, missing.json()["error"]) == (428, "version_required")
    clash = client.patch(
        path, json={"value_quantity": 2, "version": 2}, headers={**clinician, "If-Match": '"3"'}
    )
    assert clash.status_code == 422
    junk = client.patch(path, json={"value_quantity": 2}, headers={**clinician, "If-Match": "x"})
    assert junk.status_code == 422


def test_entered_in_error_marks_the_entry_and_keeps_it_readable(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clinician = tenant_a.auth("clinician")
    cond = create(client, tenant_a, "conditions", {"display": "Asthma", "code": "J45.909"})
    r = client.post(url(tenant_a, f"conditions/{cond['id']}/entered-in-error"), headers=clinician)
    assert r.json()["verification_status"] == "entered-in-error"
    again = client.post(
        url(tenant_a, f"conditions/{cond['id']}/entered-in-error"), headers=clinician
    )
    assert again.status_code == 409
    obs = create(client, tenant_a, "observations", BP)
    r = client.post(url(tenant_a, f"observations/{obs['id']}/entered-in-error"), headers=clinician)
    assert (r.json()["status"], r.json()["version"]) == ("entered-in-error", 2)


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("observations", {**BP, "code": "8480-5"}, "check digit"),
    ("observations", {**BP, "code": "pulse"}, "LOINC"),
    ("observations", {**BP, "unit": "mmHg"}, "mm[Hg]"),
    ("observations", {**BP, "unit": "kg"}, "for this code"),
    ("observations", {**BP, "unit": "mm Hg"}, "UCUM"),
    ("observations", {k: v for k, v in BP.items() if k != "unit"}, "UCUM unit"),
    ("observations", {k: v for k, v in BP.items() if k != "value_quantity"}, "value"),
    ("observations", {k: v for k, v in BP.items() if k != "effective_at"}, "time"),
    ("observations", {**BP, "effective_at": "2999-01-01T00:00:00Z"}, "future"),
    ("observations", {**BP, "ref_low": 5, "ref_high": 1}, "reference range"),
    ("observations", {**BP, "category": "vitals"}, ""),
    ("observations", {**BP, "status": "done"}, ""),
    ("observations", {**BP, "value_quantity": "NaN"}, ""),
    ("medications", {"drug": "x", "status": "draft"}, "statement status"),
    ("medications", {"drug": "x", "kind": "request", "status": "active"}, "intent"),
    ("medications", {"drug": "x", "intent": "order"}, "only a medication request"),
    ("medications", {"drug": "x", "rxnorm": "RX-1"}, "RxNorm"),
    ("medications", {"drug": "   "}, "drug"),
    ("medications", {"drug": ""}, ""),
    ("medications", {"drug": "x", "unknown": 1}, ""),
    ("orders", {"category": "laboratory", "display": "x", "code": "4548-4"}, "system URI"),
    ("orders", {"category": "lab", "display": "x"}, ""),
    (
        "orders",
        {
            "category": "laboratory",
            "display": "x",
            "code": "1-1",
            "code_system": "http://loinc.org",
        },
        "check digit",
    ),
    ("orders", {"category": "laboratory", "display": "x", "code_system": "loinc"}, "URI"),
    ("conditions", {"display": "x", "code": "hypertension"}, "ICD-10-CM"),
    (
        "conditions",
        {"display": "x", "onset_date": "2024-01-02", "abatement_date": "2024-01-01"},
        "before the onset",
    ),
    ("conditions", {"display": "x", "abatement_date": "2024-01-01"}, "cannot be active"),
    ("allergies", {"substance": "x", "severity": "deadly"}, ""),
    ("care-plans", {"title": "x", "goals": [{"description": "g", "measure": "A1C"}]}, "LOINC"),
    (
        "care-plans",
        {"title": "x", "period_start": "2024-02-01", "period_end": "2024-01-01"},
        "period_end",
    ),
    ("consents", {"category": "recording"}, ""),
    (
        "consents",
        {
            "category": "treatment",
            "period_start": "2024-02-01T00:00:00Z",
            "period_end": "2024-01-01T00:00:00Z",
        },
        "period_end",
    ),
]


def test_invalid_entries_are_422_with_a_clear_message(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    for seg, body, says in INVALID:
        r = client.post(url(tenant_a, seg), json=body, headers=tenant_a.auth("clinician"))
        assert r.status_code == 422, (seg, body, r.text)
        assert says in r.text, (seg, body, r.text)
    assert (
        client.get(url(tenant_a, "observations"), headers=tenant_a.auth("clinician")).json()[
            "total"
        ]
        == 0
    )


def test_an_edit_that_breaks_the_entry_is_422_and_changes_nothing(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clinician = tenant_a.auth("clinician")
    obs = create(client, tenant_a, "observations", BP)
    path = url(tenant_a, f"observations/{obs['id']}")
    r = client.patch(path, json={"version": 1, "unit": "kg"}, headers=clinician)
    assert r.status_code == 422
    assert client.get(path, headers=clinician).json()["version"] == 1


def test_another_tenant_reads_nothing_of_the_record(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    obs = create(client, tenant_a, "observations", BP)
    theirs = tenant_b.auth("clinician")
    assert client.get(url(tenant_a, f"observations/{obs['id']}"), headers=theirs).status_code == 404
    assert client.get(url(tenant_a, "observations"), headers=theirs).status_code == 404
    assert client.get(url(tenant_a, "summary"), headers=theirs).status_code == 404
    # Their own patient with our entry's id is still 404.
    other = f"/api/v1/patients/{tenant_b.patient_id}/observations/{obs['id']}"
    assert client.get(other, headers=theirs).status_code == 404
    assert (
        client.patch(
            url(tenant_a, f"observations/{obs['id']}"), json={"version": 1}, headers=theirs
        ).status_code
        == 404
    )


def test_observations_filter_by_code_category_and_date_range_and_page(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    for day in range(1, 6):
        create(
            client, tenant_a, "observations", {**BP, "effective_at": f"2026-03-0{day}T08:00:00Z"}
        )
    create(
        client,
        tenant_a,
        "observations",
        {
            "category": "laboratory",
            "code": "4548-4",
            "value_quantity": 7.1,
            "unit": "%",
            "effective_at": "2026-03-03T08:00:00Z",
        },
    )
    reader = tenant_a.auth("reviewer")
    page = client.get(url(tenant_a, "observations?code=8480-6&limit=2"), headers=reader).json()
    assert (page["total"], len(page["items"])) == (5, 2)
    assert page["items"][0]["effective_at"].startswith("2026-03-05")
    labs = client.get(url(tenant_a, "observations?category=laboratory"), headers=reader).json()
    assert [i["code"] for i in labs["items"]] == ["4548-4"]
    ranged = client.get(
        url(tenant_a, "observations?date_from=2026-03-02&date_to=2026-03-03"), headers=reader
    ).json()
    assert ranged["total"] == 3
    assert (
        client.get(
            url(tenant_a, "observations?date_from=2026-03-03&date_to=2026-03-02"), headers=reader
        ).status_code
        == 422
    )
    assert (
        client.get(url(tenant_a, "observations?date_from=March"), headers=reader).status_code == 422
    )
    assert client.get(url(tenant_a, "observations?limit=0"), headers=reader).status_code == 422
    second = client.get(url(tenant_a, "observations?code=8480-6&limit=2&offset=4"), headers=reader)
    assert len(second.json()["items"]) == 1


def test_lists_show_proposed_and_active_entries_unless_asked_for_a_state(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    add_record_entry(settings, tenant_a, tenant_a.patient_id, "allergy")
    add_record_entry(settings, tenant_a, tenant_a.patient_id, "allergy", state="rejected")
    create(client, tenant_a, "allergies", {"substance": "latex", "category": "environment"})
    reader = tenant_a.auth("reviewer")
    assert client.get(url(tenant_a, "allergies"), headers=reader).json()["total"] == 2
    only = client.get(url(tenant_a, "allergies?state=rejected"), headers=reader).json()
    assert only["total"] == 1
    assert client.get(url(tenant_a, "allergies?state=gone"), headers=reader).status_code == 422


def test_a_care_plan_keeps_its_goals_and_activities(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    plan = create(
        client,
        tenant_a,
        "care-plans",
        {
            "title": "Diabetes care",
            "goals": [
                {
                    "description": "HbA1c below 7%",
                    "measure": "4548-4",
                    "target_value": 7,
                    "target_unit": "%",
                    "due_date": "2026-09-01",
                }
            ],
            "activities": [{"description": "Quarterly HbA1c"}],
        },
    )
    assert plan["goals"][0]["measure"] == "4548-4"
    assert plan["activities"][0]["status"] == "not-started"


def test_accept_all_accepts_every_proposed_entry_of_the_patient(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    for resource in ("observation", "medication", "condition", "consent"):
        add_record_entry(settings, tenant_a, tenant_a.patient_id, resource)
    r = client.post(url(tenant_a, "record/accept-all"), headers=tenant_a.auth("clinician"))
    assert r.json()["accepted"] == {"observation": 1, "medication": 1, "condition": 1, "consent": 1}
    consents = client.get(url(tenant_a, "consents"), headers=tenant_a.auth("clinician")).json()
    assert consents["items"][0]["status"] == "active"
    assert (
        client.post(
            url(tenant_a, "record/accept-all"), headers=tenant_a.auth("reviewer")
        ).status_code
        == 403
    )


def test_links_must_stay_inside_the_patients_own_record(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    from tests.support import add_patient_and_encounter

    clinician = tenant_a.auth("clinician")
    other_patient, other_encounter = add_patient_and_encounter(settings, tenant_a)
    ok = client.post(
        url(tenant_a, "observations"),
        json={**BP, "encounter_id": tenant_a.encounter_id},
        headers=clinician,
    )
    assert ok.status_code == 201 and ok.json()["encounter_id"] == tenant_a.encounter_id
    for encounter in (tenant_b.encounter_id, other_encounter, "no-such-encounter"):
        r = client.post(
            url(tenant_a, "observations"), json={**BP, "encounter_id": encounter}, headers=clinician
        )
        assert (r.status_code, "encounter_id" in r.text) == (422, True)
    theirs = add_record_entry(settings, tenant_a, other_patient, "care_plan")
    r = client.post(
        url(tenant_a, "orders"),
        json={"category": "imaging", "display": "Chest X-ray", "care_plan_id": theirs},
        headers=clinician,
    )
    assert r.status_code == 422 and "care_plan_id" in r.text
    order = add_record_entry(settings, tenant_a, other_patient, "order")
    r = client.post(
        url(tenant_a, "care-plans"),
        json={"title": "x", "activities": [{"description": "scan", "order_id": order}]},
        headers=clinician,
    )
    assert r.status_code == 422 and "activities.0.order_id" in r.text
