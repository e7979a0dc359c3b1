"""Tenants, users and API keys: create, get, list, update; always scoped to the caller's tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyUpdate,
    TenantUpdate,
    UserCreate,
    UserUpdate,
)
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import ApiKey, Tenant, User
from clinscribe.db.pagination import fetch_page
from clinscribe.errors import Conflict, Forbidden, NotFound, Unprocessable
from clinscribe.security import api_keys
from clinscribe.security.associated import llm_key_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.passwords import hash_password
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable


def create_tenant(*, session: Session, name: str) -> Tenant:
    """Create a tenant (operator action from the CLI)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Unprocessable("tenant name must be 1-200 characters")
    if session.execute(select(Tenant.id).where(Tenant.name == name)).first():
        raise Conflict(f"a tenant named {name!r} already exists")
    tenant = Tenant(name=name)
    session.add(tenant)
    session.flush()
    audit.record(
        session,
        action="tenant.create",
        actor_type="operator",
        tenant_id=tenant.id,
        object_type="tenant",
        object_id=tenant.id,
    )
    return tenant


def get_tenant(*, session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant


def own_tenant(*, session: Session, principal: Principal) -> Tenant:
    """The caller's own tenant (anyone who may read its settings)."""
    principal.require("tenant:read")
    return get_tenant(session=session, tenant_id=principal.tenant_id)


def update_tenant(
    *, session: Session, settings: Settings, principal: Principal, data: TenantUpdate
) -> Tenant:
    """Change the tenant's policies (admins); every change is audited."""
    principal.require("tenant:write")
    tenant = own_tenant(session=session, principal=principal)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    key = changes.pop("llm_api_key", None)
    if key is not None:
        tenant.llm_key_encrypted = key_ring(settings).encrypt(key.encode(), llm_key_aad(tenant.id))
    for field, value in changes.items():
        setattr(tenant, field, value)
    session.flush()
    audit.record(
        session,
        action="tenant.update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return tenant


def create_user(
    *, session: Session, tenant_id: str, data: UserCreate, principal: Principal | None = None
) -> User:
    """Create a user in a tenant; emails are unique across the installation.

    With a principal (an admin over the API) it needs `users:write`; without one it is the
    operator's CLI.
    """
    if principal is not None:
        principal.require("users:write")
    get_tenant(session=session, tenant_id=tenant_id)
    email = data.email.lower()
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict("a user with this email already exists")
    user = User(
        tenant_id=tenant_id,
        email=email,
        full_name=data.full_name,
        role=data.role,
        password_hash=hash_password(data.password) if data.password else None,
        can_view_all_encounters=data.can_view_all_encounters,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("a user with this email already exists") from exc
    audit.record(
        session,
        action="user.create",
        principal=principal,
        tenant_id=tenant_id,
        actor_type=None if principal else "operator",
        object_type="user",
        object_id=user.id,
    )
    return user


def get_user(*, session: Session, principal: Principal, user_id: str) -> User:
    principal.require("users:read")
    return get_readable(session, User, user_id, principal, what="user")


def me(*, session: Session, principal: Principal) -> User:
    """The signed-in user themselves (API keys have none)."""
    if principal.user_id is None:
        raise Forbidden("API keys have no user; use /tenant")
    return get_readable(session, User, principal.user_id, principal, what="user")


def list_users(
    *, session: Session, principal: Principal, role: str | None, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    principal.require("users:read")
    stmt = readable(User, principal).order_by(User.created_at, User.id)
    if role:
        stmt = stmt.where(User.role == role)
    return fetch_page(session, stmt, limit=limit, offset=offset)


def update_user(*, session: Session, principal: Principal, user_id: str, data: UserUpdate) -> User:
    principal.require("users:write")
    user = get_readable(session, User, user_id, principal, what="user")
    changes = data.model_dump(exclude_unset=True)
    if "password" in changes:
        password = changes.pop("password")
        user.password_hash = hash_password(password) if password else None
    for field, value in changes.items():
        if value is None:
            raise Unprocessable(f"{field} cannot be null")
        setattr(user, field, value)
    session.flush()
    audit.record(
        session, action="user.update", principal=principal, object_type="user", object_id=user.id
    )
    return user


def find_user_by_email(*, session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email.lower())).scalar_one_or_none()


def create_api_key(
    *,
    session: Session,
    settings: Settings,
    tenant_id: str,
    data: ApiKeyCreate,
    principal: Principal | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its HMAC is kept.

    With a principal (an admin over the API) it needs `api_keys:manage`; without one it is the
    operator's CLI.
    """
    if principal is not None:
        principal.require("api_keys:manage")
    get_tenant(session=session, tenant_id=tenant_id)
    key, prefix = api_keys.generate_key()
    row = ApiKey(
        tenant_id=tenant_id,
        name=data.name,
        prefix=prefix,
        key_hash=api_keys.hash_key(settings.api_key_hmac_key(), key),
        scopes=",".join(sorted(set(data.scopes))),
        rate_limit_per_minute=data.rate_limit_per_minute,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="api_key.create",
        principal=principal,
        tenant_id=tenant_id,
        actor_type=None if principal else "operator",
        object_type="api_key",
        object_id=row.id,
    )
    return row, key


def list_api_keys(
    *, session: Session, principal: Principal, limit: int, offset: int
) -> tuple[Sequence[ApiKey], int]:
    principal.require("api_keys:manage")
    stmt = readable(ApiKey, principal).order_by(ApiKey.created_at, ApiKey.id)
    return fetch_page(session, stmt, limit=limit, offset=offset)


def update_api_key(
    *, session: Session, principal: Principal, key_id: str, data: ApiKeyUpdate
) -> ApiKey:
    """Change a key's own per-minute limit (it applies from the key's next request)."""
    principal.require("api_keys:manage")
    row = get_readable(session, ApiKey, key_id, principal, what="API key")
    if row.revoked_at is not None:
        raise Conflict("the API key is revoked")
    row.rate_limit_per_minute = data.rate_limit_per_minute
    audit.record(
        session,
        action="api_key.update",
        principal=principal,
        object_type="api_key",
        object_id=row.id,
        details={"rate_limit_per_minute": data.rate_limit_per_minute},
    )
    return row


def revoke_api_key(*, session: Session, principal: Principal, key_id: str) -> ApiKey:
    principal.require("api_keys:manage")
    row = get_readable(session, ApiKey, key_id, principal, what="API key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    audit.record(
        session,
        action="api_key.revoke",
        principal=principal,
        object_type="api_key",
        object_id=row.id,
    )
    return row
