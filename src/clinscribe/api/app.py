"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from clinscribe import __version__
from clinscribe.api import errors
from clinscribe.api.deps import track_route
from clinscribe.api.middleware import RequestContextMiddleware
from clinscribe.api.routers import audit, auth, encounters, health, patients, users
from clinscribe.config import Settings, get_settings
from clinscribe.db.session import get_sessionmaker
from clinscribe.jobs.broker import InProcessWorker, get_broker
from clinscribe.observability.logging import configure_logging


def create_app(settings: Settings | None = None, *, start_worker: bool = True) -> FastAPI:
    """Build the app for `settings` (the process settings by default)."""
    settings = settings or get_settings()
    settings.validate_for_prod()
    configure_logging(settings.log_level, settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker: InProcessWorker | None = None
        if settings.broker == "inprocess" and start_worker:
            worker = InProcessWorker(get_broker(settings))
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    app = FastAPI(
        title="Clinscribe",
        version=__version__,
        summary="Speech to reviewed, coded clinical notes, delivered as FHIR R4.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        dependencies=[Depends(track_route)],
    )
    app.state.settings = settings
    app.state.sessionmaker = get_sessionmaker(
        settings.resolved_database_url, settings.database_echo
    )
    app.state.draining = False
    # Later capabilities register readiness checks for the models their profile needs.
    app.state.model_checks = dict[str, Callable[[], None]]()

    errors.install(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_request_bytes)

    for router in (
        auth.router,
        auth.me_router,
        users.router,
        patients.router,
        encounters.router,
        audit.router,
        health.router,
    ):
        app.include_router(router)
    return app
