"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.middleware.cors import CORSMiddleware

from clinscribe import __version__
from clinscribe.api import errors
from clinscribe.api.deps import track_route
from clinscribe.api.hardening import HardeningMiddleware, make_limiter
from clinscribe.api.middleware import RequestContextMiddleware
from clinscribe.api.routers import (
    access,
    admin,
    audit,
    auth,
    clinical,
    clinical_preview,
    clinical_summary,
    controls,
    documents,
    encounters,
    fhir_r4,
    health,
    imaging,
    mfa,
    nlp,
    note_live,
    notes,
    openemr,
    patients,
    recordings,
    reports,
    retention,
    search,
    smart,
    stream,
    uploads,
    users,
    waveforms,
)
from clinscribe.asr.engines import AsrEngineProvider
from clinscribe.collab.hub import hub_for
from clinscribe.config import Settings, get_settings
from clinscribe.db.session import get_sessionmaker
from clinscribe.jobs.broker import InProcessWorker
from clinscribe.jobs.periodic import Periodic
from clinscribe.jobs.runtime import Sweeper
from clinscribe.observability import tracing
from clinscribe.observability.logging import configure_logging
from clinscribe.openemr.schedule import sync_timer
from clinscribe.retention.schedule import purge_timer
from clinscribe.security import crypto
from clinscribe.security.ratelimit import Clock
from clinscribe.storage.select import blob_store
from clinscribe.streaming.warmup import LiveWarmup
from clinscribe.tasks import setup_jobs
from clinscribe.web.routes import router as web_router


def create_app(
    settings: Settings | None = None, *, start_worker: bool = True, clock: Clock = time.time
) -> FastAPI:
    """Build the app for `settings` (the process settings by default).

    `clock` is the wall clock rate-limit windows are counted on (tests pin it, so a run that
    straddles a minute boundary counts the same).
    """
    settings = settings or get_settings()
    settings.validate_for_prod()
    configure_logging(settings.log_level, settings.log_json)
    # Before the first engine exists, so that its statements are traced too.
    tracing.configure_tracing(settings, "clinscribe-api")
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    # The live model loads in the background while the server starts; /readyz waits for it.
    warmup = LiveWarmup(AsrEngineProvider(settings).live) if settings.stream_warmup else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warmup is not None:
            warmup.start()
        runtime = setup_jobs(settings)
        worker: InProcessWorker | None = None
        sweeper: Sweeper | None = None
        purges = None
        openemr_syncs = None
        if settings.broker == "inprocess" and start_worker:
            # Embedded profile: this process is also the worker, and re-sends pending jobs
            # left by a previous run (the first sweep happens at once).
            worker = InProcessWorker(runtime.broker)
            worker.start()
            sweeper = Sweeper(runtime, interval=max(1.0, settings.job_stale_seconds / 2))
            sweeper.start()
            purges = purge_timer(settings)
            if purges is not None:
                purges.start()
            openemr_syncs = sync_timer(settings)
            if openemr_syncs is not None:
                openemr_syncs.start()
        streams = asyncio.create_task(stream.sweep_forever(app))
        # Abandoned partial uploads go once they are past the tus expiry.
        expiry = settings.tus_expiry_days * 86400.0
        uploads_gc = Periodic("upload_expiry", lambda: app.state.uploads.expire(expiry), 3600.0)
        uploads_gc.start()
        try:
            yield
        finally:
            streams.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streams
            if sweeper is not None:
                sweeper.stop()
            if purges is not None:
                purges.stop()
            if openemr_syncs is not None:
                openemr_syncs.stop()
            uploads_gc.stop()
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
    crypto.install(settings)
    app.state.sessionmaker = get_sessionmaker(
        settings.resolved_database_url, settings.database_echo
    )
    app.state.draining = False
    # Made here, not on first use: REST handlers (worker threads) and sockets share one hub.
    app.state.note_hub = hub_for(
        settings.rate_limit_backend, settings.redis_url, settings.note_presence_timeout_seconds
    )
    app.state.blobs = blob_store(settings, crypto.key_ring(settings))
    # Readiness checks for the models this profile needs (present on disk; loaded lazily).
    app.state.model_checks = {"speech_model": AsrEngineProvider(settings).check}
    if warmup is not None:
        app.state.model_checks["live_model"] = warmup.check
    app.state.live_warmup = warmup

    errors.install(app)
    # Outermost first: CORS answers preflights, hardening limits and decorates every response.
    upload_limit = settings.max_upload_bytes + 1024 * 1024  # multipart framing on top
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_request_bytes,
        body_limits={
            r"^/api/v1/encounters/[^/]+/recordings$": upload_limit,
            r"^/api/v1/uploads(/|$)": upload_limit,
            r"^/api/v1/encounters/[^/]+/text$": settings.max_text_chars * 4 + 4096,
            r"^/api/v1/(patients/[^/]+/documents|document-links/[^/]+)$": (
                settings.document_max_bytes + 1024 * 1024
            ),
            r"^/api/v1/patients/[^/]+/waveforms$": settings.waveform_max_bytes + 1024 * 1024,
            r"^/api/v1/patients/[^/]+/studies$": settings.imaging_max_upload_bytes + 1024 * 1024,
        },
    )

    # One limiter for the per-client limits (middleware) and API keys' own ones (deps).
    app.state.rate_limiter = make_limiter(settings, clock=clock)
    app.add_middleware(
        HardeningMiddleware, settings=settings, limiter=app.state.rate_limiter, clock=clock
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-API-Key",
                "X-Request-ID",
                "Tus-Resumable",
                "Upload-Length",
                "Upload-Offset",
                "Upload-Metadata",
            ],
            expose_headers=[
                "Location",
                "X-Request-ID",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
                "Retry-After",
                "Upload-Offset",
                "Tus-Resumable",
            ],
            max_age=600,
        )

    for router in (
        auth.router,
        auth.me_router,
        mfa.router,
        users.router,
        patients.router,
        encounters.router,
        recordings.router,
        documents.router,
        imaging.router,
        nlp.router,
        notes.router,
        note_live.router,
        audit.router,
        admin.router,
        controls.router,
        reports.router,
        retention.router,
        search.router,
        stream.router,
        health.router,
        openemr.router,
        fhir_r4.router,
        fhir_r4.token_router,
        clinical.router,
        clinical_summary.router,
        clinical_preview.router,
        smart.router,
        waveforms.router,
        access.router,
    ):
        app.include_router(router)
    uploads.install(app, settings)
    app.include_router(web_router)  # the clinician UI: GET / and /static/*
    if tracing.provider() is not None:
        _instrument(app)
    return app


def _instrument(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # Server spans are named by route template; probes and scrapes are not traced, and the
    # per-message ASGI spans (receive/send) add nothing but volume.
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracing.tracer_provider(),
        excluded_urls="/healthz,/readyz,/metrics",
        exclude_spans=["receive", "send"],
    )
