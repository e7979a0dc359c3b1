"""SMART scopes on the FHIR read API: narrowed tokens, API keys with SMART scopes, tenancy."""

from __future__ import annotations

import pytest

from clinscribe.accounts import service as accounts
from clinscribe.accounts.schemas import ApiKeyCreate
from clinscribe.db.session import session_scope
from clinscribe.fhir.core.capability import error_code
from clinscribe.security import tokens
from tests.unit.fhir.server.conftest import FhirEnv, found

ALL_OBS = {
    "hr_jan",
    "hr_feb",
    "glucose",
    "sbp_nye",
    "smoking",
    "lab_creat",
    "lab_sodium",
    "hr_other",
}


def _token(
    env: FhirEnv, scope: str, patient: str | None = None, role: str = "clinician"
) -> dict[str, str]:
    token, _ = tokens.issue(
        env.settings,
        subject=env.a.users[role],
        tenant_id=env.a.id,
        role=role,
        token_type="access",
        scope=scope,
        patient=env.ids[patient] if patient else None,
    )
    return {"Authorization": f"Bearer {token}"}


def _key(env: FhirEnv, *scopes: str) -> dict[str, str]:
    with session_scope(env.settings.resolved_database_url) as session:
        _, key = accounts.create_api_key(
            session=session,
            settings=env.settings,
            tenant_id=env.a.id,
            data=ApiKeyCreate(name="fhir", scopes=list(scopes)),
        )
    return {"Authorization": f"Bearer {key}"}


def _ids(env: FhirEnv, names: set[str]) -> set[str]:
    return {env.ids[n] for n in names}


def test_a_patient_scope_sees_only_the_launch_patient(env: FhirEnv) -> None:
    headers = _token(env, "patient/*.read", "patient1")
    bundle = env.client.get("/fhir/R4/Observation", headers=headers).json()
    assert found(bundle) == _ids(env, ALL_OBS - {"hr_other"})
    patients = env.client.get("/fhir/R4/Patient", headers=headers).json()
    assert found(patients) == {env.ids["patient1"]}
    other = env.client.get(f"/fhir/R4/Observation/{env.ids['hr_other']}", headers=headers)
    assert other.status_code == 404
    asked = env.client.get(f"/fhir/R4/Condition?patient={env.ids['patient2']}", headers=headers)
    assert asked.json()["total"] == 0


@pytest.mark.parametrize(
    ("scope", "patient", "search_ok", "read_ok", "condition_ok"),
    [
        ("patient/Observation.read", "patient1", True, True, False),
        ("user/Observation.read", None, True, True, False),
        ("user/*.read", None, True, True, True),
        ("system/*.read", None, True, True, True),
        ("patient/Observation.rs", "patient1", True, True, False),
        ("patient/Observation.r", "patient1", False, True, False),
        ("patient/Observation.s", "patient1", True, False, False),
        ("user/Observation.write", None, False, False, False),
        ("patient/*.read", None, False, False, False),  # no launch patient
        ("launch openid", None, False, False, False),
    ],
)
def test_scopes_grant_exactly_their_types_and_interactions(
    env: FhirEnv,
    scope: str,
    patient: str | None,
    search_ok: bool,
    read_ok: bool,
    condition_ok: bool,
) -> None:
    headers = _token(env, scope, patient)
    search = env.client.get("/fhir/R4/Observation", headers=headers)
    read = env.client.get(f"/fhir/R4/Observation/{env.ids['hr_jan']}", headers=headers)
    condition = env.client.get("/fhir/R4/Condition", headers=headers)
    for response, ok in ((search, search_ok), (read, read_ok), (condition, condition_ok)):
        assert response.status_code == (200 if ok else 403), (scope, response.text)
        if not ok:
            assert error_code(response.json()) == "fhir_scope_denied"
    if search_ok and patient is None:
        assert found(search.json()) == _ids(env, ALL_OBS)


def test_a_narrowed_token_cannot_use_the_rest_api(env: FhirEnv) -> None:
    headers = _token(env, "user/*.read")
    assert env.client.get("/api/v1/patients", headers=headers).status_code == 403


def test_api_keys_with_smart_scopes_are_limited_by_them(env: FhirEnv) -> None:
    headers = _key(env, "user/Observation.read")
    assert found(env.client.get("/fhir/R4/Observation", headers=headers).json()) == _ids(
        env, ALL_OBS
    )
    assert env.client.get("/fhir/R4/Condition", headers=headers).status_code == 403
    assert env.client.get("/api/v1/patients", headers=headers).status_code == 403
    both = _key(env, "read", "system/Condition.rs")
    assert env.client.get("/fhir/R4/Condition", headers=both).status_code == 200
    assert env.client.get("/fhir/R4/Observation", headers=both).status_code == 403
    assert env.client.get("/api/v1/patients", headers=both).status_code == 200


@pytest.mark.parametrize(
    "scope", ["user/*.rade", "Observation.read", "user/Observation.rs?a=1,2", "x" * 61]
)
def test_an_api_key_refuses_scopes_it_cannot_hold(env: FhirEnv, scope: str) -> None:
    response = env.client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": [scope]}, headers=env.a.auth("admin")
    )
    assert response.status_code == 422


def test_a_user_narrows_a_token_for_a_launch_patient(env: FhirEnv) -> None:
    me = env.a.auth("clinician")
    body = {"scope": "patient/Observation.rs  patient/Patient.read", "patient": env.ids["patient1"]}
    issued = env.client.post("/api/v1/auth/fhir-token", json=body, headers=me)
    assert issued.status_code == 200, issued.text
    grant = issued.json()
    assert grant["scope"] == "patient/Observation.rs patient/Patient.read"
    assert grant["patient"] == env.ids["patient1"] and grant["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    bundle = env.client.get("/fhir/R4/Observation?code=8867-4", headers=headers).json()
    assert found(bundle) == _ids(env, {"hr_jan", "hr_feb"})
    again = env.client.post(
        "/api/v1/auth/fhir-token", json={"scope": "user/*.read"}, headers=headers
    )
    assert again.status_code == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"scope": "patient/*.read"}, 422),
        ({"scope": "everything"}, 422),
        ({"scope": " "}, 422),
        ({"scope": "patient/*.read", "patient": "no-such-patient"}, 404),
        ({"scope": "user/*.read", "extra": 1}, 422),
    ],
)
def test_a_bad_token_request_is_refused(env: FhirEnv, body: dict[str, str], status: int) -> None:
    response = env.client.post(
        "/api/v1/auth/fhir-token", json=body, headers=env.a.auth("clinician")
    )
    assert response.status_code == status


def test_another_tenant_reads_nothing_of_this_one(env: FhirEnv) -> None:
    outsider = env.b.auth("admin")
    for resource_type, name in (
        ("Observation", "hr_jan"),
        ("Patient", "patient1"),
        ("Condition", "htn"),
    ):
        response = env.client.get(f"/fhir/R4/{resource_type}/{env.ids[name]}", headers=outsider)
        assert response.status_code == 404
        assert error_code(response.json()) == "not_found"
    bundle = env.client.get(f"/fhir/R4/Observation?patient={env.ids['patient1']}", headers=outsider)
    assert bundle.json()["total"] == 0
    patient = env.client.post(
        "/api/v1/auth/fhir-token",
        json={"scope": "patient/*.read", "patient": env.ids["patient1"]},
        headers=outsider,
    )
    assert patient.status_code == 404
