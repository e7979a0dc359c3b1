"""Password sign-in, refresh rotation, sign-out and the current caller."""

from __future__ import annotations

from fastapi import APIRouter, status

from clinscribe.accounts import auth, service
from clinscribe.accounts.schemas import (
    LoginRequest,
    RefreshRequest,
    TenantRead,
    TenantUpdate,
    TokenPair,
    UserRead,
)
from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.errors import Forbidden

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/login", response_model=TokenPair)
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return auth.login(session=session, settings=settings, email=body.email, password=body.password)


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return auth.refresh(session=session, settings=settings, refresh_token=body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> None:
    auth.logout(session=session, settings=settings, refresh_token=body.refresh_token)


me_router = APIRouter(prefix=API_PREFIX, tags=["auth"], responses=ERROR_RESPONSES)


@me_router.get("/me", response_model=UserRead)
def me(principal: CurrentPrincipal, session: SessionDep) -> object:
    if principal.user_id is None:
        raise Forbidden("API keys have no user; use /tenant")
    return service.get_user(session=session, principal=principal, user_id=principal.user_id)


@me_router.patch("/tenant", response_model=TenantRead)
def update_tenant(
    body: TenantUpdate, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> object:
    return service.update_tenant(session=session, settings=settings, principal=principal, data=body)


@me_router.get("/tenant", response_model=TenantRead)
def tenant(principal: CurrentPrincipal, session: SessionDep) -> object:
    principal.require("tenant:read")
    return service.get_tenant(session=session, tenant_id=principal.tenant_id)
