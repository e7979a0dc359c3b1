"""SMART App Launch from OpenEMR (EHR launch, authorization code + PKCE S256).

`begin` is reached from OpenEMR's chart with `iss` and `launch`. Only an `iss` a tenant
registered is followed, and every URL fetched (discovery, token, JWKS) passes the outbound SSRF
policy. The pending launch is a database row keyed by a digest of its `state`, bound to the
browser by a cookie, single use and expiring; its PKCE verifier is sealed. `complete` exchanges
the code, verifies the ID token with the EHR's JWKS (asymmetric algorithms only, issuer,
audience = our client id, nonce), then resolves everything through the tenant's OpenEMR database:
the user by `users.uuid` (the ID token's `sub`), the patient and encounter by their `uuid` (the
FHIR ids in the launch context) to `pid` and encounter number, and those to our synced rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import jwt
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from clinscribe.accounts import auth as accounts_auth
from clinscribe.accounts.schemas import TokenPair
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Encounter, Patient, SmartLaunch, Tenant
from clinscribe.errors import Unauthorized
from clinscribe.openemr import auth, service, smart_settings
from clinscribe.openemr.connection import OpenEmrUnavailable, connect
from clinscribe.openemr.core import smart
from clinscribe.openemr.core.smart import SmartConfig, SmartLaunchFailed
from clinscribe.security.associated import smart_verifier_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.oidc import ASYMMETRIC
from clinscribe.security.outbound import OutboundUrlError, validate_outbound_url
from clinscribe.security.scoping import owned_by
from clinscribe.security.tokens import check_header

PENDING_SECONDS = 600
HTTP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Landed:
    """A completed launch: our session and where the UI opens (`patients/<id>` or ...)."""

    tokens: TokenPair
    path: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _fetch(settings: Settings, tenant: Tenant, url: str, what: str) -> str:
    try:
        return validate_outbound_url(url, smart_settings.policy(settings, tenant))
    except OutboundUrlError as exc:
        raise SmartLaunchFailed(
            "unsafe_url", f"the EHR's {what} is refused: {exc.message}", status_code=502
        ) from exc


def _get_json(url: str, what: str) -> Any:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SmartLaunchFailed(
            "discovery", f"the EHR's {what}: {type(exc).__name__}", status_code=502
        ) from exc


def discover(settings: Settings, tenant: Tenant) -> SmartConfig:
    """The tenant's EHR discovery document, every endpoint checked by the outbound policy.

    When it names no issuer or JWKS (SMART v1, OpenEMR 7), the OpenID discovery document next
    to the authorize endpoint supplies them.
    """
    iss = str(tenant.smart_iss)
    url = _fetch(settings, tenant, iss + smart.WELL_KNOWN, "SMART configuration URL")
    config = smart.parse_configuration(_get_json(url, "SMART configuration"))
    if config.issuer is None or config.jwks_uri is None:
        openid = config.openid_base + "/.well-known/openid-configuration"
        url = _fetch(settings, tenant, openid, "OpenID configuration URL")
        config = smart.with_openid(config, _get_json(url, "OpenID configuration"))
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        _fetch(settings, tenant, str(getattr(config, name)), name)
    return config


def begin(
    *, session: Session, settings: Settings, iss: str, launch: str, redirect_uri: str
) -> tuple[str, str]:
    """The EHR's authorize URL and the browser-binding value for the launch cookie."""
    tenant = session.execute(
        select(Tenant).where(Tenant.smart_iss == smart.normalize_iss(iss))
    ).scalar_one_or_none()
    if tenant is None or not tenant.smart_client_id:
        raise SmartLaunchFailed("unknown_iss", "this EHR is not registered for SMART launch")
    try:
        config = discover(settings, tenant)
    except SmartLaunchFailed as failure:
        failure.tenant_id = tenant.id
        raise
    state, browser, nonce = (secrets.token_urlsafe(32) for _ in range(3))
    verifier = secrets.token_urlsafe(64)
    launch_id = _digest(state)
    session.add(
        SmartLaunch(
            id=launch_id,
            tenant_id=tenant.id,
            browser_hash=_digest(browser),
            verifier_encrypted=key_ring(settings).encrypt(
                verifier.encode(), smart_verifier_aad(launch_id)
            ),
            nonce=nonce,
            expires_at=utcnow() + timedelta(seconds=PENDING_SECONDS),
        )
    )
    session.flush()
    url = smart.authorize_url(
        config,
        client_id=tenant.smart_client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        verifier=verifier,
        iss=str(tenant.smart_iss),
        launch=launch,
    )
    return url, browser


def consume(*, session: Session, state: str | None, browser: str | None) -> SmartLaunch:
    """The pending launch of `state`, marked used (the caller commits that at once)."""
    row = session.get(SmartLaunch, _digest(state)) if state else None
    if row is None:
        raise SmartLaunchFailed(
            "state", "this launch is unknown; open Clinscribe from OpenEMR again"
        )
    if not browser or not hmac.compare_digest(_digest(browser), row.browser_hash):
        raise SmartLaunchFailed(
            "browser", "this launch was started in another browser", tenant_id=row.tenant_id
        )
    used = session.execute(
        update(SmartLaunch)
        .where(SmartLaunch.id == row.id, SmartLaunch.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise SmartLaunchFailed("state", "this launch was already used", tenant_id=row.tenant_id)
    if row.expires_at < utcnow():
        raise SmartLaunchFailed("expired", "this launch expired", tenant_id=row.tenant_id)
    return row


def _exchange(
    settings: Settings,
    tenant: Tenant,
    config: SmartConfig,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    secret = smart_settings.client_secret(settings, tenant)
    client_id = str(tenant.smart_client_id)
    basic = httpx.BasicAuth(client_id, secret) if secret else None
    if basic is None:
        form["client_id"] = client_id  # a public client names itself
    try:
        response = httpx.post(
            config.token_endpoint,
            data=form,
            auth=basic,
            timeout=HTTP_TIMEOUT,
            follow_redirects=False,
        )
        body: Any = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SmartLaunchFailed(
            "exchange", f"the EHR's token endpoint: {type(exc).__name__}", status_code=502
        ) from exc
    if response.status_code != 200 or not isinstance(body, dict):
        error = smart.oauth_error(body.get("error") if isinstance(body, dict) else None)
        status = 502 if response.status_code >= 500 else 400
        raise SmartLaunchFailed(
            "exchange", f"the EHR refused the code ({error})", status_code=status
        )
    if not isinstance(body.get("id_token"), str):
        raise SmartLaunchFailed("id_token", "the EHR's answer has no ID token", status_code=401)
    return body


def _verified_subject(
    settings: Settings, tenant: Tenant, config: SmartConfig, id_token: str, nonce: str
) -> str:
    """The ID token's `sub` after checking signature, issuer, audience, expiry and nonce."""
    try:
        header = check_header(id_token)
        if header.get("alg") not in ASYMMETRIC:
            raise Unauthorized("token algorithm not allowed")
        jwks = jwt.PyJWKClient(str(config.jwks_uri), cache_keys=False, timeout=int(HTTP_TIMEOUT))
        key = jwks.get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=sorted(ASYMMETRIC),
            audience=tenant.smart_client_id,
            issuer=config.issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except (Unauthorized, jwt.PyJWTError) as exc:
        raise SmartLaunchFailed(
            "id_token", f"the EHR's ID token did not verify ({type(exc).__name__})", status_code=401
        ) from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SmartLaunchFailed("id_token", "the ID token is not this launch's", status_code=401)
    return str(claims["sub"])


_USER = text(
    "SELECT id, username, fname, lname, email, authorized, active FROM users WHERE uuid = :u"
)
_PATIENT = text("SELECT pid FROM patient_data WHERE uuid = :u")
_ENCOUNTER = text("SELECT encounter, pid FROM form_encounter WHERE uuid = :u")


def _landing(session: Session, tenant: Tenant, pid: int, encounter: int | None) -> str:
    patient = session.execute(
        owned_by(Patient, tenant.id).where(Patient.openemr_pid == pid)
    ).scalar_one_or_none()
    if patient is None:
        raise SmartLaunchFailed(
            "unknown_patient",
            "this patient is not in Clinscribe yet; an administrator can run the OpenEMR sync",
            status_code=404,
            tenant_id=tenant.id,
        )
    if encounter is None:
        return f"patients/{patient.id}"
    ours = session.execute(
        owned_by(Encounter, tenant.id).where(
            Encounter.openemr_encounter == encounter, Encounter.patient_id == patient.id
        )
    ).scalar_one_or_none()
    if ours is None:
        raise SmartLaunchFailed(
            "unknown_encounter",
            "this encounter is not in Clinscribe yet; an administrator can run the OpenEMR sync",
            status_code=404,
            tenant_id=tenant.id,
        )
    return f"encounters/{ours.id}"


def complete(
    *,
    session: Session,
    settings: Settings,
    launch: SmartLaunch,
    code: str | None,
    error: str | None,
    redirect_uri: str,
) -> Landed:
    """Exchange the code, verify who signed in and open our session on the launch's patient."""
    tenant = session.get(Tenant, launch.tenant_id)
    if tenant is None or not tenant.smart_iss:
        raise SmartLaunchFailed("unknown_iss", "this EHR is no longer registered")
    if error or not code:
        raise SmartLaunchFailed(
            "denied",
            f"OpenEMR did not authorize the launch ({smart.oauth_error(error)})",
            status_code=403,
        )
    config = discover(settings, tenant)
    verifier = key_ring(settings).decrypt(launch.verifier_encrypted, smart_verifier_aad(launch.id))
    body = _exchange(settings, tenant, config, code, verifier.decode(), redirect_uri)
    subject = smart.fhir_uuid(
        _verified_subject(settings, tenant, config, body["id_token"], launch.nonce), "user"
    )
    patient_id = smart.fhir_uuid(body.get("patient"), "patient")
    encounter_id = (
        smart.fhir_uuid(body["encounter"], "encounter") if body.get("encounter") else None
    )
    try:
        with connect(service.database_url(settings=settings, tenant=tenant)) as conn:
            user_row = conn.execute(_USER, {"u": subject}).mappings().first()
            pid = conn.execute(_PATIENT, {"u": patient_id}).scalar()
            found = conn.execute(_ENCOUNTER, {"u": encounter_id}).first() if encounter_id else None
    except (OpenEmrUnavailable, service.OpenEmrNotConfigured) as exc:
        raise SmartLaunchFailed("openemr", exc.message, status_code=502) from exc
    if user_row is None or int(user_row["active"] or 0) != 1:
        raise SmartLaunchFailed(
            "account", "this OpenEMR account cannot use Clinscribe", status_code=403
        )
    if pid is None:
        raise SmartLaunchFailed(
            "unknown_patient", "OpenEMR does not know the launch's patient", status_code=404
        )
    if encounter_id is not None and (found is None or int(found[1]) != int(pid)):
        raise SmartLaunchFailed(
            "unknown_encounter", "the launch's encounter is not this patient's", status_code=404
        )
    try:
        user = auth.linked_user(session, tenant, auth.account_of(user_row))
    except auth.OpenEmrSignInFailed as exc:
        raise SmartLaunchFailed(
            "account", "this account is disabled in Clinscribe", status_code=403
        ) from exc
    path = _landing(session, tenant, int(pid), int(found[0]) if found else None)
    tokens = accounts_auth.signed_in(session, settings, user, via="smart")
    kind, _, object_id = path.partition("/")
    audit.record(
        session,
        action="smart.launch",
        tenant_id=tenant.id,
        actor_type="user",
        actor_id=user.id,
        object_type=kind.rstrip("s"),
        object_id=object_id,
    )
    return Landed(tokens=tokens, path=path)


def record_failure(*, session: Session, failure: SmartLaunchFailed) -> None:
    """Audit a failed launch (no PHI: the reason and, when known, the tenant)."""
    audit.record(
        session,
        action=f"auth.smart.{failure.reason}",
        outcome="error" if failure.status_code >= 500 else "denied",
        tenant_id=failure.tenant_id,
        actor_type="anonymous",
        object_type="smart_launch",
    )
