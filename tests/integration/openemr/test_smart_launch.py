"""SMART App Launch from OpenEMR against the local test EHR/provider and the real MariaDB."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import AuditEvent, Encounter, Patient, SmartLaunch, Tenant, User
from clinscribe.db.session import session_scope
from tests.integration.openemr.conftest import raw
from tests.oidc_provider import (
    CLIENT_SECRET,
    SMART_CLIENT_ID,
    SMART_PUBLIC_CLIENT_ID,
    OidcTestProvider,
)
from tests.support import TenantWorld

CALLBACK = "http://testserver/smart/callback"
PHYSICIAN = str(uuid.uuid4())  # users.uuid of OpenEMR user 2 (physician, authorized)
RETIRED = str(uuid.uuid4())  # users.uuid of OpenEMR user 6 (inactive)


def _text(value: bytes) -> str:
    return str(uuid.UUID(bytes=value))


@pytest.fixture
def fhir_ids(openemr_url: str) -> dict[str, str]:
    """The FHIR ids (uuid text) of the module's OpenEMR rows; users get uuids here."""
    db = raw(openemr_url)
    with db.cursor() as cur:
        cur.execute("UPDATE users SET uuid = %s WHERE id = 2", (uuid.UUID(PHYSICIAN).bytes,))
        cur.execute("UPDATE users SET uuid = %s WHERE id = 6", (uuid.UUID(RETIRED).bytes,))
        cur.execute("SELECT pid, uuid FROM patient_data")
        ids = {f"pid{pid}": _text(u) for pid, u in cur.fetchall()}
        cur.execute("SELECT encounter, uuid FROM form_encounter")
        ids |= {f"enc{enc}": _text(u) for enc, u in cur.fetchall()}
    db.close()
    return ids


@pytest.fixture
def ehr() -> Iterator[OidcTestProvider]:
    with OidcTestProvider() as idp:
        idp.redirect_uris.add(CALLBACK)
        idp.sign_in_as_practitioner(PHYSICIAN)
        yield idp


def _register(client: TestClient, world: TenantWorld, ehr: OidcTestProvider, **extra: Any) -> Any:
    body = {
        "iss": ehr.fhir_base + "/",
        "client_id": SMART_CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allow_loopback": True,
        **extra,
    }
    return client.put("/api/v1/tenant/smart", json=body, headers=world.auth("admin"))


@pytest.fixture
def ready(
    client: TestClient, tenant_a: TenantWorld, openemr_url: str, ehr: OidcTestProvider
) -> TenantWorld:
    admin = tenant_a.auth("admin")
    r = client.put("/api/v1/tenant/openemr", json={"database_url": openemr_url}, headers=admin)
    assert r.status_code == 200, r.text
    assert client.post("/api/v1/openemr/sync", headers=admin).status_code == 200
    assert _register(client, tenant_a, ehr).status_code == 200
    return tenant_a


def _launch(client: TestClient, ehr: OidcTestProvider, launch: str, iss: str | None = None) -> Any:
    params = {"iss": iss or ehr.fhir_base, "launch": launch}
    return client.get("/smart/launch", params=params, follow_redirects=False)


def _to_callback(client: TestClient, ehr: OidcTestProvider, launch: str) -> str:
    """Launch, follow the EHR's authorize; the callback URL (path and query) it sends back."""
    started = _launch(client, ehr, launch)
    assert started.status_code == 303, started.text
    authorize = httpx.get(started.headers["location"], follow_redirects=False)
    assert authorize.status_code == 302, authorize.text
    back = urlsplit(authorize.headers["location"])
    return f"{back.path}?{back.query}"


def _reasons(settings: Settings) -> list[str]:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action.like("auth.smart.%")))
        return [e.action.removeprefix("auth.smart.") for e in rows]


def _ours(settings: Settings, model: Any, column: Any, value: int) -> str:
    with session_scope(settings.resolved_database_url) as session:
        return str(session.scalars(select(model.id).where(column == value)).one())


def test_a_launch_with_encounter_context_signs_in_and_lands_on_that_encounter(
    client: TestClient,
    settings: Settings,
    ready: TenantWorld,
    ehr: OidcTestProvider,
    fhir_ids: dict[str, str],
) -> None:
    launch = ehr.launch_context(patient=fhir_ids["pid2"], encounter=fhir_ids["enc3"])
    started = _launch(client, ehr, launch)
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert {k: v[0] for k, v in query.items() if k not in ("state", "nonce", "code_challenge")} == {
        "response_type": "code",
        "client_id": SMART_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "launch openid fhirUser patient/*.read",
        "aud": ehr.fhir_base,
        "launch": launch,
        "code_challenge_method": "S256",
    }
    back = httpx.get(started.headers["location"], follow_redirects=False).headers["location"]
    parts = urlsplit(back)
    done = client.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    encounter = _ours(settings, Encounter, Encounter.openemr_encounter, 3)
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/#/sso?next=encounters/{encounter}",
    )
    pair = client.post("/api/v1/auth/oidc/session")
    assert pair.status_code == 200, pair.text
    bearer = {"Authorization": f"Bearer {pair.json()['access_token']}"}
    me = client.get("/api/v1/me", headers=bearer).json()
    assert me["role"] == "clinician" and me["tenant_id"] == ready.id
    # The token request carried our verifier and the confidential client's credentials.
    form = ehr.token_requests[-1]["form"]
    assert form["code_verifier"] and "client_id" not in form
    assert ehr.token_requests[-1]["authorization"].startswith("Basic ")
    with session_scope(settings.resolved_database_url) as session:
        user = session.get(User, me["id"])
        assert user is not None and user.openemr_user_id == 2
        launched = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "smart.launch")
        ).one()
        assert (launched.object_type, launched.object_id) == ("encounter", encounter)


def test_an_openemr_7_smart_v1_configuration_is_completed_from_openid_discovery(
    client: TestClient,
    settings: Settings,
    ready: TenantWorld,
    ehr: OidcTestProvider,
    fhir_ids: dict[str, str],
) -> None:
    ehr.knobs.smart_v1 = True
    started = _launch(client, ehr, ehr.launch_context(patient=fhir_ids["pid1"]))
    assert started.headers["location"].startswith(ehr.issuer + "/authorize?")
    back = httpx.get(started.headers["location"], follow_redirects=False).headers["location"]
    parts = urlsplit(back)
    done = client.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    patient = _ours(settings, Patient, Patient.openemr_pid, 1)
    assert done.headers["location"] == f"/#/sso?next=patients/{patient}", done.text


def test_a_public_client_with_patient_context_lands_on_the_patient(
    client: TestClient,
    settings: Settings,
    ready: TenantWorld,
    ehr: OidcTestProvider,
    fhir_ids: dict[str, str],
) -> None:
    r = _register(client, ready, ehr, client_id=SMART_PUBLIC_CLIENT_ID, client_secret=None)
    assert r.json()["confidential"] is False
    callback = _to_callback(client, ehr, ehr.launch_context(patient=fhir_ids["pid3"]))
    done = client.get(callback, follow_redirects=False)
    patient = _ours(settings, Patient, Patient.openemr_pid, 3)
    assert done.headers["location"] == f"/#/sso?next=patients/{patient}"
    assert ehr.token_requests[-1]["authorization"] is None
    assert ehr.token_requests[-1]["form"]["client_id"] == SMART_PUBLIC_CLIENT_ID


def test_the_test_ehr_refuses_a_wrong_pkce_verifier(ehr: OidcTestProvider) -> None:
    verifier = "right-verifier-" + "x" * 40
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    launch = ehr.launch_context(patient=str(uuid.uuid4()))
    params = {
        "response_type": "code",
        "client_id": SMART_PUBLIC_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "launch openid",
        "state": "s",
        "aud": ehr.fhir_base,
        "launch": launch,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    authorize = httpx.get(ehr.base + "/realms/test/protocol/openid-connect/auth", params=params)
    code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
    token = ehr.base + "/realms/test/protocol/openid-connect/token"
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    form["client_id"] = SMART_PUBLIC_CLIENT_ID
    wrong = httpx.post(token, data={**form, "code_verifier": "wrong-verifier-" + "y" * 40})
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    bad_aud = httpx.get(
        ehr.base + "/realms/test/protocol/openid-connect/auth",
        params={**params, "aud": "https://elsewhere.example/fhir"},
    )
    assert "error=invalid_request" in bad_aud.headers["location"]


def test_a_replayed_expired_or_foreign_state_is_a_400_and_audited(
    client: TestClient,
    settings: Settings,
    ready: TenantWorld,
    ehr: OidcTestProvider,
    fhir_ids: dict[str, str],
) -> None:
    callback = _to_callback(client, ehr, ehr.launch_context(patient=fhir_ids["pid1"]))
    browser = client.cookies.get("clinscribe_smart_launch")
    assert browser and client.get(callback, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set("clinscribe_smart_launch", browser, path="/smart/callback")
    again = client.get(callback, follow_redirects=False)  # the same browser, a used state
    assert again.status_code == 400 and 'data-reason="state"' in again.text
    forged = client.get("/smart/callback?state=forged&code=x", follow_redirects=False)
    assert forged.status_code == 400 and 'data-reason="state"' in forged.text

    stale = _to_callback(client, ehr, ehr.launch_context(patient=fhir_ids["pid1"]))
    with session_scope(settings.resolved_database_url) as session:
        session.execute(update(SmartLaunch).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.get(stale, follow_redirects=False)
    assert expired.status_code == 400 and 'data-reason="expired"' in expired.text
    other = _to_callback(client, ehr, ehr.launch_context(patient=fhir_ids["pid1"]))
    client.cookies.clear()
    client.cookies.set("clinscribe_smart_launch", "another-browser", path="/smart/callback")
    foreign = client.get(other, follow_redirects=False)
    assert foreign.status_code == 400 and 'data-reason="browser"' in foreign.text
    assert _reasons(settings) == ["state", "state", "expired", "browser"]


def test_unknown_iss_is_never_fetched_and_errors_can_be_json(
    client: TestClient, settings: Settings, ready: TenantWorld, ehr: OidcTestProvider
) -> None:
    for iss in ("http://169.254.169.254/latest", "https://evil.example/fhir", ehr.base):
        r = _launch(client, ehr, "abc", iss=iss)
        assert r.status_code == 400 and 'data-reason="unknown_iss"' in r.text
    assert ehr.token_requests == []
    json_error = client.get(
        "/smart/launch",
        params={"iss": "https://evil.example/fhir", "launch": "x"},
        headers={"Accept": "application/json"},
    )
    assert json_error.status_code == 400
    assert json_error.json() == {
        "error": "smart_launch_failed",
        "reason": "unknown_iss",
        "detail": "this EHR is not registered for SMART launch",
    }
    missing = client.get("/smart/launch", params={"iss": ehr.fhir_base})
    assert missing.status_code == 400
    assert client.get("/smart/launch", params={"iss": "x" * 600, "launch": "x"}).status_code == 422
    assert _reasons(settings) == ["unknown_iss"] * 4 + ["request"]


def _finish(client: TestClient, ehr: OidcTestProvider, launch: str) -> Any:
    return client.get(_to_callback(client, ehr, launch), follow_redirects=False)


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("denied", 403, "denied"),
        ("unknown_patient", 404, "unknown_patient"),
        ("unsynced_patient", 404, "unknown_patient"),
        ("foreign_encounter", 404, "unknown_encounter"),
        ("bad_code", 400, "exchange"),
        ("other_key", 401, "id_token"),
        ("wrong_nonce", 401, "id_token"),
        ("inactive_user", 403, "account"),
        ("unknown_user", 403, "account"),
        ("ehr_down", 502, "discovery"),
    ],
)
def test_each_failure_is_a_clear_page_with_its_status_and_audited(
    client: TestClient,
    settings: Settings,
    ready: TenantWorld,
    ehr: OidcTestProvider,
    fhir_ids: dict[str, str],
    case: str,
    status: int,
    reason: str,
) -> None:
    launch = ehr.launch_context(patient=fhir_ids["pid2"])
    if case == "denied":
        ehr.knobs.deny = "access_denied"
    elif case == "unknown_patient":
        launch = ehr.launch_context(patient=str(uuid.uuid4()))
    elif case == "unsynced_patient":
        with session_scope(settings.resolved_database_url) as session:
            session.execute(update(Patient).values(openemr_pid=None))
    elif case == "foreign_encounter":
        launch = ehr.launch_context(patient=fhir_ids["pid1"], encounter=fhir_ids["enc3"])
    elif case == "other_key":
        ehr.knobs.other_key = True
    elif case == "wrong_nonce":
        ehr.knobs.nonce = "not-this-launch"
    elif case == "inactive_user":
        ehr.sign_in_as_practitioner(RETIRED)
    elif case == "unknown_user":
        ehr.sign_in_as_practitioner(str(uuid.uuid4()))
    if case == "bad_code":
        callback = _to_callback(client, ehr, launch)
        response = client.get(callback.replace("code=", "code=tampered"), follow_redirects=False)
    elif case == "ehr_down":
        ehr.stop()
        response = _launch(client, ehr, launch)
    else:
        response = _finish(client, ehr, launch)
    assert response.status_code == status, response.text
    assert f'data-reason="{reason}"' in response.text
    assert "clinscribe_sso_session" not in response.headers.get("set-cookie", "")
    assert _reasons(settings) == [reason]
    with session_scope(settings.resolved_database_url) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == f"auth.smart.{reason}")
        ).one()
        assert event.tenant_id == ready.id
        assert session.scalars(select(User).where(User.openemr_user_id.is_not(None))).all() == []


def test_the_registration_is_admin_only_sealed_and_checked(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    ehr: OidcTestProvider,
) -> None:
    assert client.get("/api/v1/tenant/smart", headers=tenant_a.auth("admin")).json() == {
        "configured": False,
        "iss": None,
        "client_id": None,
        "confidential": False,
        "allow_loopback": False,
        "launch_path": "/smart/launch",
        "redirect_path": "/smart/callback",
    }
    saved = _register(client, tenant_a, ehr)
    assert saved.status_code == 200 and saved.json()["iss"] == ehr.fhir_base
    assert CLIENT_SECRET not in saved.text
    with session_scope(settings.resolved_database_url) as session:
        tenant = session.get(Tenant, tenant_a.id)
        assert tenant is not None and CLIENT_SECRET not in str(tenant.smart_secret_encrypted)
    taken = _register(client, tenant_b, ehr)
    assert (taken.status_code, taken.json()["error"]) == (409, "conflict")
    for bad in (
        {"allow_loopback": False},  # loopback needs the development switch
        {"iss": "ftp://emr.example/fhir"},
        {"iss": "http://169.254.169.254/fhir"},
        {"iss": "https://user:pw@emr.example/fhir"},
        {"client_id": ""},
        {"extra": 1},
    ):
        r = _register(client, tenant_a, ehr, **bad)
        assert r.status_code == 422, (bad, r.text)
    moved = _register(client, tenant_a, ehr, iss="https://emr.example/fhir", allow_loopback=False)
    assert moved.status_code == 200 and moved.json()["iss"] == "https://emr.example/fhir"
    assert (
        client.put(
            "/api/v1/tenant/smart",
            json={"iss": "https://emr.example/fhir", "client_id": "x"},
            headers=tenant_a.auth("clinician"),
        ).status_code
        == 403
    )
