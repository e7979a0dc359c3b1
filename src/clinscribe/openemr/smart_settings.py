"""A tenant's SMART App Launch registration: the `iss` it launches with and our OAuth client."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.accounts import service as accounts
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Tenant
from clinscribe.errors import Conflict, Unprocessable
from clinscribe.openemr.core.smart import normalize_iss
from clinscribe.openemr.schemas import SmartSettingsRead, SmartSettingsUpdate
from clinscribe.security.associated import smart_secret_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.outbound import OutboundUrlError, UrlPolicy, validate_outbound_url
from clinscribe.security.principal import Principal


def policy(settings: Settings, tenant: Tenant) -> UrlPolicy:
    """The outbound policy for this tenant's EHR: https in production, loopback only in dev."""
    production = settings.profile == "prod"
    return UrlPolicy(
        require_https=production,
        allow_loopback=tenant.smart_allow_loopback and not production,
    )


def client_secret(settings: Settings, tenant: Tenant) -> str | None:
    """The unsealed client secret (None for a public client); for one token request only."""
    if not tenant.smart_secret_encrypted:
        return None
    ring = key_ring(settings)
    return ring.decrypt(tenant.smart_secret_encrypted, smart_secret_aad(tenant.id)).decode()


def _read(tenant: Tenant) -> SmartSettingsRead:
    if not tenant.smart_iss:
        return SmartSettingsRead(configured=False)
    return SmartSettingsRead(
        configured=True,
        iss=tenant.smart_iss,
        client_id=tenant.smart_client_id,
        confidential=bool(tenant.smart_secret_encrypted),
        allow_loopback=tenant.smart_allow_loopback,
    )


def get(*, session: Session, principal: Principal) -> SmartSettingsRead:
    principal.require("tenant:write")
    return _read(accounts.own_tenant(session=session, principal=principal))


def put(
    *, session: Session, settings: Settings, principal: Principal, data: SmartSettingsUpdate
) -> SmartSettingsRead:
    """Store the registration; the `iss` must pass the outbound policy and be no other tenant's."""
    principal.require("tenant:write")
    tenant = accounts.own_tenant(session=session, principal=principal)
    if data.allow_loopback and settings.profile == "prod":
        raise Unprocessable("allow_loopback is refused in production")
    iss = normalize_iss(data.iss)
    tenant.smart_allow_loopback = data.allow_loopback
    try:
        # Syntax and policy only: the EHR may be unreachable now; each launch checks it again.
        validate_outbound_url(iss, policy(settings, tenant), resolver=None)
    except OutboundUrlError as exc:
        raise Unprocessable(f"iss: {exc.message}") from exc
    taken = session.execute(
        select(Tenant.id).where(Tenant.smart_iss == iss, Tenant.id != tenant.id)
    ).first()
    if taken:
        # A launch finds its tenant by `iss`: two tenants on one iss would be ambiguous.
        raise Conflict("another tenant already launches from this iss")
    tenant.smart_iss = iss
    tenant.smart_client_id = data.client_id.strip()
    secret = data.client_secret.get_secret_value() if data.client_secret else None
    tenant.smart_secret_encrypted = (
        key_ring(settings).encrypt(secret.encode(), smart_secret_aad(tenant.id)) if secret else None
    )
    session.flush()
    audit.record(
        session,
        action="tenant.smart.update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return _read(tenant)
