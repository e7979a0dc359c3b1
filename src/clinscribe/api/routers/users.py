"""Users and API keys of the caller's tenant (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from clinscribe.accounts import service
from clinscribe.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyUpdate,
    RoleName,
    UserCreate,
    UserRead,
    UserUpdate,
)
from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, Limit, Offset, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.db.models import ApiKey
from clinscribe.db.pagination import Page, page_of

router = APIRouter(prefix=API_PREFIX, tags=["users"], responses=ERROR_RESPONSES)


@router.get("/users", response_model=Page[UserRead])
def list_users(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    role: Annotated[RoleName | None, Query()] = None,
) -> dict[str, Any]:
    rows, total = service.list_users(
        session=session, principal=principal, role=role, limit=limit, offset=offset
    )
    return page_of(rows, total, limit, offset)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.create_user(
        session=session, tenant_id=principal.tenant_id, data=body, principal=principal
    )


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.get_user(session=session, principal=principal, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserRead, dependencies=[STEP_UP])
def update_user(
    user_id: str, body: UserUpdate, principal: CurrentPrincipal, session: SessionDep
) -> object:
    return service.update_user(session=session, principal=principal, user_id=user_id, data=body)


def _key_out(row: ApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": row.scopes.split(","),
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
        "last_used_at": row.last_used_at,
        "rate_limit_per_minute": row.rate_limit_per_minute,
    }


@router.get("/api-keys", response_model=Page[ApiKeyRead])
def list_api_keys(
    principal: CurrentPrincipal, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    rows, total = service.list_api_keys(
        session=session, principal=principal, limit=limit, offset=offset
    )
    return page_of([_key_out(r) for r in rows], total, limit, offset)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[STEP_UP],
)
def create_api_key(
    body: ApiKeyCreate, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    row, key = service.create_api_key(
        session=session,
        settings=settings,
        tenant_id=principal.tenant_id,
        data=body,
        principal=principal,
    )
    return {**_key_out(row), "key": key}


@router.patch("/api-keys/{key_id}", response_model=ApiKeyRead)
def update_api_key(
    key_id: str, body: ApiKeyUpdate, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Set or clear the key's own requests-per-minute limit."""
    row = service.update_api_key(session=session, principal=principal, key_id=key_id, data=body)
    return _key_out(row)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(key_id: str, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    return _key_out(service.revoke_api_key(session=session, principal=principal, key_id=key_id))
