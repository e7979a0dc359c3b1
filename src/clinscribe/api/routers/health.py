"""Liveness, readiness and metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from clinscribe import __version__
from clinscribe.api.deps import SettingsDep
from clinscribe.jobs.broker import check_broker
from clinscribe.observability.metrics import READINESS_FAILING, REGISTRY
from clinscribe.openemr.schedule import readiness as openemr_readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def _check_database(request: Request) -> None:
    with request.app.state.sessionmaker() as session:
        session.execute(text("SELECT 1"))


@router.get("/readyz", summary="Readiness of every component the profile needs")
def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    failing: list[str] = []
    components: dict[str, Callable[[], None]] = {
        "database": lambda: _check_database(request),
        "broker": lambda: check_broker(settings),
        # A missing bucket or refused credentials fail every recording: not ready.
        "blob_store": request.app.state.blobs.check,
    }
    components.update(request.app.state.model_checks)
    for name, check in components.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # readiness reports every failure, whatever it is
            checks[name] = f"failed: {type(exc).__name__}"
            failing.append(name)
    if request.app.state.draining or settings.drain_file.exists():
        failing.append("draining")
    for name in [*components, "draining"]:
        READINESS_FAILING.labels(name).set(1 if name in failing else 0)
    # A tenant's OpenEMR being away degrades that tenant's write-back (it retries), not the
    # service: it is reported by name without taking the instance out of rotation.
    degraded: list[str] = []
    if "database" not in failing:
        with request.app.state.sessionmaker() as session:
            for name, state in openemr_readiness(session=session, settings=settings).items():
                checks[name] = state
                if state != "ok":
                    degraded.append(name)
    status = "not_ready" if failing else "degraded" if degraded else "ready"
    body = {"status": status, "checks": checks, "failing": failing, "degraded": degraded}
    return JSONResponse(body, status_code=200 if not failing else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
