"""The access review: per tenant, its users with role and last sign-in, and its API keys.

An operator's listing across tenants (never served to a tenant's users), grouped in Python.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinscribe.db import models
from clinscribe.db.models import ApiKey, AuditEvent, Tenant, User

SIGN_IN = "auth.login"  # what every successful sign-in (password or single sign-on) records


def _mfa_enrolled(session: Session) -> set[str] | None:
    """Users with a confirmed second factor; None when this build has no MFA enrolments."""
    enrolments: Any = getattr(models, "UserMfa", None)
    if enrolments is None:
        return None
    stmt = select(enrolments.user_id).where(enrolments.confirmed_at.is_not(None))
    return {str(user_id) for user_id in session.scalars(stmt)}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def review(session: Session) -> list[dict[str, Any]]:
    signed_in = session.execute(
        select(AuditEvent.actor_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.action == SIGN_IN, AuditEvent.outcome == "success")
        .group_by(AuditEvent.actor_id)
    ).all()
    last_sign_in = {actor: at for actor, at in signed_in}
    enrolled = _mfa_enrolled(session)
    users: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for user in session.scalars(select(User).order_by(User.email)):
        users[user.tenant_id].append(
            {
                "id": user.id,
                "email": user.email,
                "role": user.role,
                "active": user.is_active,
                "sign_in": "sso" if user.oidc_subject else "password",
                "created_at": _iso(user.created_at),
                "last_sign_in": _iso(last_sign_in.get(user.id)),
                # "absent": this build records no second factors.
                "mfa": "absent" if enrolled is None else user.id in enrolled,
            }
        )
    keys: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in session.scalars(select(ApiKey).order_by(ApiKey.created_at)):
        keys[key.tenant_id].append(
            {
                "id": key.id,
                "name": key.name,
                "prefix": key.prefix,
                "scopes": key.scopes.split(","),
                # The key's own requests-per-minute budget (None: the server-wide limit only).
                "rate_limit_per_minute": key.rate_limit_per_minute,
                "created_at": _iso(key.created_at),
                "revoked_at": _iso(key.revoked_at),
                "last_used_at": _iso(key.last_used_at),
            }
        )
    return [
        {
            "tenant_id": tenant.id,
            "tenant": tenant.name,
            "users": users.get(tenant.id, []),
            "api_keys": keys.get(tenant.id, []),
        }
        for tenant in session.scalars(select(Tenant).order_by(Tenant.name))
    ]
