"""The access review: per tenant, its users with role and last sign-in, and its API keys.

An operator's listing across tenants (never served to a tenant's users), grouped in Python.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinscribe.db.models import ApiKey, AuditEvent, Tenant, User

SIGN_IN = "auth.login"  # what every successful sign-in (password or single sign-on) records
MFA_ATTRIBUTES = ("mfa_enabled", "mfa_enrolled", "totp_enabled")


def _mfa(user: User) -> object:
    for name in MFA_ATTRIBUTES:
        if hasattr(user, name):
            return bool(getattr(user, name))
    return "absent"  # this build does not record MFA enrolment


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def review(session: Session) -> list[dict[str, Any]]:
    signed_in = session.execute(
        select(AuditEvent.actor_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.action == SIGN_IN, AuditEvent.outcome == "success")
        .group_by(AuditEvent.actor_id)
    ).all()
    last_sign_in = {actor: at for actor, at in signed_in}
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
                "mfa": _mfa(user),
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
