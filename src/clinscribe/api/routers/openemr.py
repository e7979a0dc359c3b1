"""The OpenEMR bridge: the tenant's connection, its status, and signing in with OpenEMR."""

from __future__ import annotations

from fastapi import APIRouter

from clinscribe.accounts.lockout import SignInLocked
from clinscribe.accounts.schemas import MfaChallenge, TokenPair
from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.openemr import auth, overview, service, sync
from clinscribe.openemr.schemas import (
    ConnectionPatch,
    ConnectionRead,
    ConnectionStatus,
    ConnectionUpdate,
    FacilityRead,
    NotePlacement,
    OpenEmrLoginRequest,
    OpenEmrOverview,
    ProviderRead,
    SyncRead,
)

router = APIRouter(prefix=API_PREFIX, tags=["openemr"], responses=ERROR_RESPONSES)


@router.put("/tenant/openemr", response_model=ConnectionRead, dependencies=[STEP_UP])
def put_connection(
    body: ConnectionUpdate, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> ConnectionRead:
    return service.put_connection(
        session=session, settings=settings, principal=principal, data=body
    )


@router.get("/tenant/openemr", response_model=ConnectionRead)
def get_connection(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> ConnectionRead:
    return service.get_connection(session=session, settings=settings, principal=principal)


@router.patch("/tenant/openemr", response_model=ConnectionRead, dependencies=[STEP_UP])
def patch_connection(
    body: ConnectionPatch, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> ConnectionRead:
    return service.patch_connection(
        session=session, settings=settings, principal=principal, data=body
    )


@router.get("/tenant/openemr/status", response_model=ConnectionStatus)
def connection_status(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> ConnectionStatus:
    return service.status(session=session, settings=settings, principal=principal)


@router.post("/auth/openemr/login", response_model=TokenPair | MfaChallenge)
def openemr_login(
    body: OpenEmrLoginRequest, session: SessionDep, settings: SettingsDep
) -> TokenPair | MfaChallenge:
    try:
        return auth.login(
            session=session,
            settings=settings,
            tenant_id=body.tenant_id,
            username=body.username,
            password=body.password,
        )
    except (auth.OpenEmrSignInFailed, SignInLocked) as failure:
        session.rollback()  # nothing half-provisioned survives a refused sign-in
        auth.record_failure(
            session=session, settings=settings, failure=failure, tenant_id=body.tenant_id
        )
        session.commit()  # the refusal is audited even though the request fails
        raise


@router.post("/openemr/sync", response_model=SyncRead)
def run_sync(principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep) -> SyncRead:
    """Import or refresh the OpenEMR patients and encounters (idempotent)."""
    result = sync.sync(session=session, settings=settings, principal=principal)
    return SyncRead(**result.as_dict())


@router.get("/openemr/facilities", response_model=list[FacilityRead])
def facilities(principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep) -> object:
    return sync.facilities(session=session, settings=settings, principal=principal)


@router.get("/openemr/providers", response_model=list[ProviderRead])
def providers(principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep) -> object:
    return sync.providers(session=session, settings=settings, principal=principal)


@router.get("/openemr/overview", response_model=OpenEmrOverview)
def overview_page(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> OpenEmrOverview:
    """The admin screen's summary: connection, SMART registration, last sync, linked counts."""
    return overview.overview(session=session, settings=settings, principal=principal)


@router.get("/notes/{note_id}/openemr", response_model=NotePlacement)
def note_placement(
    note_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> NotePlacement:
    """Where the note's signed versions landed in OpenEMR (encounter, form id, status)."""
    return overview.note_placement(
        session=session, settings=settings, principal=principal, note_id=note_id
    )
