"""Scheduled OpenEMR syncs and the readiness of every tenant's OpenEMR connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

import structlog
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.models import Tenant
from clinscribe.db.session import session_scope
from clinscribe.jobs.periodic import Periodic
from clinscribe.openemr import service, sync
from clinscribe.openemr.connection import connect

log = structlog.get_logger(__name__)
READINESS_TIMEOUT = 2.0  # seconds for all tenants' OpenEMR checks together


def _connected(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Tenant.id).where(Tenant.openemr_url_encrypted.is_not(None)).order_by(Tenant.id)
        )
    )


def sync_all(settings: Settings) -> dict[str, str]:
    """Sync every tenant that has an OpenEMR connection, each in its own transaction.

    One tenant's failure (its OpenEMR down, its schema drifted) is logged by code and does not
    stop the others. Returns tenant id -> "ok" or the failure's error code.
    """
    with session_scope(settings.resolved_database_url) as session:
        tenants = _connected(session)
    outcome: dict[str, str] = {}
    for tenant_id in tenants:
        try:
            with session_scope(settings.resolved_database_url) as session:
                result = sync.sync(
                    session=session, settings=settings, principal=sync.system_actor(tenant_id)
                )
            outcome[tenant_id] = "ok"
            # Counts only: nothing that names a patient.
            log.info("openemr.scheduled_sync", tenant_id=tenant_id, **result.as_dict())
        except Exception as exc:  # one tenant's failure must not end the others' sync
            outcome[tenant_id] = str(getattr(exc, "code", type(exc).__name__))
            log.warning(
                "openemr.scheduled_sync_failed", tenant_id=tenant_id, error=outcome[tenant_id]
            )
    return outcome


def sync_timer(settings: Settings) -> Periodic | None:
    """The sync schedule for this process, or None when `openemr_sync_interval` is 0."""
    if not settings.openemr_sync_interval:
        return None
    return Periodic("openemr_sync", lambda: sync_all(settings), settings.openemr_sync_interval)


def _ping(url: str) -> str:
    try:
        with connect(url) as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # readiness reports every failure, whatever it is
        return f"failed: {getattr(exc, 'code', type(exc).__name__)}"


def readiness(
    *, session: Session, settings: Settings, timeout: float = READINESS_TIMEOUT
) -> dict[str, str]:
    """`openemr:<tenant id>` -> "ok" or "failed: <code>" for each tenant with a connection.

    The connections are tried at once and waited for at most `timeout` seconds in all: an
    OpenEMR host that drops packets must not hold the probe past an orchestrator's deadline.
    """
    urls: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    for tenant in session.scalars(
        select(Tenant).where(Tenant.openemr_url_encrypted.is_not(None)).order_by(Tenant.id)
    ):
        name = f"openemr:{tenant.id}"
        try:
            urls[name] = service.database_url(settings=settings, tenant=tenant)
        except Exception as exc:  # a connection sealed under another key degrades that tenant
            unreadable[name] = f"failed: {getattr(exc, 'code', type(exc).__name__)}"
    if not urls:
        return unreadable
    pool = ThreadPoolExecutor(max_workers=min(8, len(urls)), thread_name_prefix="openemr-ready")
    futures = {name: pool.submit(_ping, url) for name, url in urls.items()}
    wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False)  # a straggler finishes (or times out) on its own
    checked = {
        name: future.result() if future.done() else "failed: timeout"
        for name, future in futures.items()
    }
    return dict(sorted({**checked, **unreadable}.items()))
