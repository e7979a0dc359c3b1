"""Dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from clinscribe.accounts import allowlist, auth, mfa
from clinscribe.api.hardening import client_ip, hit_key_limit
from clinscribe.api.middleware import note_route, route_template
from clinscribe.audit import egress
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.pagination import MAX_LIMIT
from clinscribe.errors import ClinscribeError, MfaEnrolmentRequired, Unauthorized
from clinscribe.observability.logging import get_logger
from clinscribe.security.principal import Principal
from clinscribe.security.ratelimit import Limiter

log = get_logger("clinscribe.http")


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def track_route(request: HTTPConnection) -> None:
    """App-wide dependency: lets the middleware label metrics and logs by route template."""
    note_route(request.scope)


SettingsDep = Annotated[Settings, Depends(_settings)]

# All a user whose role must use a second factor, and who has none yet, may reach.
ENROLMENT_ROUTES = frozenset(
    {
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/auth/mfa"),
        ("POST", "/api/v1/auth/mfa/enrol"),
        ("POST", "/api/v1/auth/mfa/confirm"),
    }
)


def _session(request: Request) -> Iterator[Session]:
    """One session per request, committed before the response is sent; denials are audited."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
        egress.committed(session)
    except ClinscribeError as exc:
        session.rollback()
        _keep_egress(session)
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is not None and exc.status_code in (403, 404, 409):
            object_id = next(iter(request.path_params.values()), None)
            audit.record(
                session,
                action=f"{request.method} {route_template(request.scope)}",
                outcome={403: "denied", 404: "not_found", 409: "conflict"}[exc.status_code],
                principal=principal,
                object_id=str(object_id) if object_id else None,
            )
            session.commit()
        raise
    except BaseException:
        session.rollback()
        _keep_egress(session)
        raise
    finally:
        session.close()


def _keep_egress(session: Session) -> None:
    """PHI that left during a request that then failed is still logged as egress."""
    try:
        if egress.after_rollback(session):
            session.commit()
    except Exception as exc:  # never hide the request's own error behind this one
        session.rollback()
        log.error("egress_log_failed", error_type=type(exc).__name__)


SessionDep = Annotated[Session, Depends(_session, scope="function")]


def credential_from(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
        return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key else None


def _principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    credential = credential_from(request)
    if credential is None:
        if settings.allow_guest and settings.guest_tenant_id and settings.profile == "dev":
            principal = Principal(
                kind="guest", tenant_id=settings.guest_tenant_id, actor_id="guest"
            )
            request.state.principal = principal
            return principal
        raise Unauthorized("authentication required")
    try:
        principal = auth.authenticate(session=session, settings=settings, credential=credential)
    except Unauthorized as exc:
        # Rejected credentials are audited in their own committed transaction.
        session.rollback()
        audit.record(
            session,
            action="auth.rejected",
            outcome="denied",
            actor_type="anonymous",
            object_type=route_template(request.scope),
        )
        session.commit()
        raise exc
    admit(request, session, settings, principal)
    request.state.principal = principal
    if (
        mfa.enrolment_pending(session=session, principal=principal)
        and (
            request.method,
            route_template(request.scope),
        )
        not in ENROLMENT_ROUTES
    ):
        raise MfaEnrolmentRequired("this role must enrol a second factor first")
    return principal


def client_address(connection: HTTPConnection, settings: Settings) -> str:
    """The caller's address: the peer, or X-Forwarded-For's last untrusted hop behind a
    trusted proxy (the same reading the per-address rate limit uses)."""
    return client_ip(connection.scope, settings.trusted_proxies)


def admit(
    connection: HTTPConnection, session: Session, settings: Settings, principal: Principal
) -> None:
    """After a credential is verified: the tenant's IP allowlist, then an API key's own rate
    limit. Every credential kind over HTTP and the live stream's WebSocket passes here."""
    try:
        allowlist.enforce(
            session=session, principal=principal, client=client_address(connection, settings)
        )
    except allowlist.IpNotAllowed:
        # Refusals are audited in their own committed transaction (the request's rolls back).
        session.rollback()
        allowlist.record_denial(
            session=session, principal=principal, route=route_template(connection.scope)
        )
        session.commit()
        raise
    if principal.kind == "api_key" and principal.rate_limit_per_minute:
        limiter: Limiter = connection.app.state.rate_limiter
        hit_key_limit(
            connection.scope,
            limiter,
            key_id=principal.actor_id,
            limit=principal.rate_limit_per_minute,
        )


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def _recent_second_factor(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> None:
    mfa.require_recent(session=session, settings=settings, principal=principal)


# The step-up guard, the one home of "this action needs a recent second factor": signing notes,
# API keys, retention exports and purges, EHR/FHIR delivery, OpenEMR and SMART settings, user
# roles and the tenant's security policy list it in their route's `dependencies`.
STEP_UP = Depends(_recent_second_factor)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
