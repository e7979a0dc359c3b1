"""Second factor (TOTP): enrolment, sign-in's second step, step-up, and the tenant's policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, status

from clinscribe.accounts import lockout, mfa
from clinscribe.accounts.schemas import (
    MfaCode,
    MfaConfirm,
    MfaConfirmed,
    MfaEnrolment,
    MfaStatus,
    MfaVerify,
    TenantSecurityRead,
    TenantSecurityUpdate,
    TokenPair,
    UserRead,
)
from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.errors import InvalidMfaCode

router = APIRouter(prefix=API_PREFIX, tags=["auth"], responses=ERROR_RESPONSES)
T = TypeVar("T")


def _counted(session: SessionDep, settings: SettingsDep, call: Callable[[], T]) -> T:
    """Run `call`; a refused code is counted toward the lockout and audited, then re-raised."""
    try:
        return call()
    except InvalidMfaCode as failure:
        session.rollback()
        mfa.record_failure(session=session, settings=settings, failure=failure)
        session.commit()  # the count and its audit survive the refusal
        raise


@router.get("/auth/mfa", response_model=MfaStatus)
def mfa_status(principal: CurrentPrincipal, session: SessionDep) -> MfaStatus:
    return mfa.status(session=session, principal=principal)


@router.post("/auth/mfa/enrol", response_model=MfaEnrolment)
def enrol(principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep) -> MfaEnrolment:
    return mfa.enrol(session=session, settings=settings, principal=principal)


@router.post("/auth/mfa/confirm", response_model=MfaConfirmed)
def confirm(
    body: MfaConfirm, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> MfaConfirmed:
    return _counted(
        session,
        settings,
        lambda: mfa.confirm(
            session=session, settings=settings, principal=principal, code=body.code
        ),
    )


@router.delete("/auth/mfa", status_code=status.HTTP_204_NO_CONTENT)
def remove(
    body: MfaCode, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> None:
    _counted(
        session,
        settings,
        lambda: mfa.disable(session=session, settings=settings, principal=principal, body=body),
    )


@router.post("/auth/mfa/verify", response_model=TokenPair)
def verify(body: MfaVerify, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return _counted(
        session,
        settings,
        lambda: mfa.verify(session=session, settings=settings, mfa_token=body.mfa_token, body=body),
    )


@router.post("/auth/mfa/step-up", response_model=TokenPair)
def step_up(
    body: MfaCode, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    return _counted(
        session,
        settings,
        lambda: mfa.step_up(session=session, settings=settings, principal=principal, body=body),
    )


@router.get("/tenant/security", response_model=TenantSecurityRead)
def get_security(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> TenantSecurityRead:
    return mfa.read_security(session=session, settings=settings, principal=principal)


@router.put("/tenant/security", response_model=TenantSecurityRead, dependencies=[STEP_UP])
def put_security(
    body: TenantSecurityUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> TenantSecurityRead:
    return mfa.update_security(session=session, settings=settings, principal=principal, data=body)


@router.post("/users/{user_id}/unlock", response_model=UserRead)
def unlock(user_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return lockout.unlock_user(session=session, principal=principal, user_id=user_id)
