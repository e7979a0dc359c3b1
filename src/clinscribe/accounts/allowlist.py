"""Tenant IP allowlists: which networks a tenant's credentials may be used from.

`enforce` is the one check every credential kind passes (REST bearer tokens of users and of
single sign-on, API keys, the UI's session tokens, and the live stream's header credentials and
single-use tokens), after the credential is verified, on the client address the trusted-proxy
logic resolved. An empty list restricts nothing.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.accounts.schemas import IpAllowlistRead, IpAllowlistUpdate
from clinscribe.audit import service as audit
from clinscribe.db.models import Tenant
from clinscribe.errors import Conflict, Forbidden, NotFound
from clinscribe.security import networks
from clinscribe.security.principal import Principal


class IpNotAllowed(Forbidden):
    """The credential is valid but the tenant does not allow the client's address."""

    status_code = 403
    code = "ip_not_allowed"


class WouldLockOut(Conflict):
    """The new allowlist excludes the admin's own address and was not confirmed."""

    status_code = 409
    code = "allowlist_excludes_you"


def _stored(raw: str | None) -> list[str]:
    if not raw:
        return []
    values = json.loads(raw)
    return [str(v) for v in values] if isinstance(values, list) else []


def networks_of(*, session: Session, tenant_id: str) -> list[str]:
    """The tenant's allowlist (stored canonical)."""
    raw = session.execute(
        select(Tenant.ip_allowlist).where(Tenant.id == tenant_id)
    ).scalar_one_or_none()
    return _stored(raw)


def enforce(*, session: Session, principal: Principal, client: str | None) -> None:
    """Raise IpNotAllowed when the principal's tenant does not allow `client`.

    The caller audits the refusal in a transaction of its own (the request's rolls back).
    """
    if not networks.allows(networks_of(session=session, tenant_id=principal.tenant_id), client):
        raise IpNotAllowed("this network may not use this tenant's credentials")


def record_denial(*, session: Session, principal: Principal, route: str) -> None:
    """The audit row of a refused address: who and where to, never the address itself
    (an address can identify a patient's home connection)."""
    audit.record(
        session,
        action="auth.ip_not_allowed",
        outcome="denied",
        principal=principal,
        object_type=route[:64],
    )


def get(*, session: Session, principal: Principal, client: str | None) -> IpAllowlistRead:
    """The tenant's allowlist and whether the caller's own address is in it."""
    principal.require("tenant:write")
    listed = networks_of(session=session, tenant_id=principal.tenant_id)
    return IpAllowlistRead(
        networks=listed, your_address=client, you_are_allowed=networks.allows(listed, client)
    )


def put(
    *, session: Session, principal: Principal, client: str | None, data: IpAllowlistUpdate
) -> IpAllowlistRead:
    """Replace the allowlist; refuses one that shuts the caller out unless confirmed."""
    principal.require("tenant:write")
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    if not networks.allows(data.networks, client) and not data.confirm_lockout:
        raise WouldLockOut(
            "the list does not include the address you are connecting from; "
            'send "confirm_lockout": true to save it anyway'
        )
    tenant.ip_allowlist = json.dumps(data.networks) if data.networks else None
    audit.record(
        session,
        action="tenant.ip_allowlist.update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
        details={"networks": len(data.networks), "confirmed_lockout": data.confirm_lockout},
    )
    return IpAllowlistRead(
        networks=data.networks,
        your_address=client,
        you_are_allowed=networks.allows(data.networks, client),
    )


def clear(*, session: Session, tenant_id: str) -> int:
    """The operator's way back in (CLI) for a tenant whose admins locked themselves out:
    the list is emptied; returns how many networks it held."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    held = len(_stored(tenant.ip_allowlist))
    tenant.ip_allowlist = None
    audit.record(
        session,
        action="tenant.ip_allowlist.clear",
        tenant_id=tenant.id,
        actor_type="operator",
        object_type="tenant",
        object_id=tenant.id,
        details={"networks": held},
    )
    return held
