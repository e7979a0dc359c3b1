"""`clinscribe serve` (API and web UI) and `clinscribe worker` (job workers)."""

from __future__ import annotations

import signal
import threading

import click
import structlog

from clinscribe.cli.common import CliError, load_settings
from clinscribe.cli.db import upgrade_database
from clinscribe.jobs.broker import InProcessWorker, check_broker
from clinscribe.jobs.runtime import Sweeper
from clinscribe.jobs.tasks import warm_tasks
from clinscribe.observability import tracing
from clinscribe.observability.logging import configure_logging
from clinscribe.observability.metrics import REGISTRY
from clinscribe.openemr.schedule import sync_timer
from clinscribe.retention.schedule import purge_timer
from clinscribe.tasks import TASKS
from clinscribe.tasks import setup_jobs as setup

log = structlog.get_logger(__name__)
# How often an idle worker process's consumer and job threads wake (ms): a SIGTERM drain waits
# up to this long more, delayed retries may start up to this late.
WAKE_MS = 1000


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option(
    "--migrate/--no-migrate",
    default=True,
    help="Apply migrations first when on the embedded SQLite database.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM private key: serve HTTPS (with --ssl-certfile).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM certificate chain for --ssl-keyfile.",
)
def serve(
    host: str, port: int, migrate: bool, ssl_keyfile: str | None, ssl_certfile: str | None
) -> None:
    """Run the API and web UI (HTTPS with --ssl-keyfile and --ssl-certfile)."""
    if (ssl_keyfile is None) != (ssl_certfile is None):
        raise CliError("--ssl-keyfile and --ssl-certfile go together")
    # Lazy on purpose: uvicorn and the whole FastAPI app load only when serving, so
    # `clinscribe --help` and the other commands do not pay for them.
    import uvicorn

    from clinscribe.api.app import create_app

    settings = load_settings()
    if migrate and settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings, "head")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        ssl_keyfile=ssl_keyfile,
        ssl_certfile=ssl_certfile,
    )


def parse_queues(value: str | None) -> set[str] | None:
    """Job kinds (`transcribe,extract`) to the queue names a worker consumes; None: all."""
    if not value:
        return None
    kinds = {kind.strip() for kind in value.split(",") if kind.strip()}
    unknown = sorted(kinds - set(TASKS))
    if unknown or not kinds:
        raise CliError(
            f"--queues: unknown job kind {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(sorted(TASKS))}"
        )
    return {f"clinscribe.{kind}" for kind in kinds}


@click.command()
@click.option("--threads", default=2, type=click.IntRange(1, 64), show_default=True)
@click.option(
    "--queues",
    default=None,
    help="Comma-separated job kinds to consume (e.g. transcribe; extract,deliver); default all.",
)
@click.option(
    "--metrics-port",
    default=0,
    type=click.IntRange(0, 65535),
    help="Serve Prometheus metrics (job outcomes, queue wait, ASR speed) on this port; 0: off.",
)
def worker(threads: int, queues: str | None, metrics_port: int) -> None:
    """Run job workers against the configured broker until SIGTERM/SIGINT.

    On SIGTERM the worker stops taking messages, lets running jobs finish and exits; a job cut
    off by a hard kill is re-sent by the sweep once its heartbeat goes stale.
    """
    settings = load_settings()
    if settings.broker == "inprocess":
        raise CliError("no external broker configured (set CLINSCRIBE_BROKER=rabbitmq or redis)")
    wanted = parse_queues(queues)
    configure_logging(settings.log_level, settings.log_json)
    tracing.configure_tracing(settings, "clinscribe-worker")
    check_broker(settings)
    runtime = setup(settings)
    if metrics_port:
        from prometheus_client import start_http_server

        # Workers serve no API: their job and ASR metrics are scraped here instead.
        start_http_server(metrics_port, registry=REGISTRY)
    kinds = {q.removeprefix("clinscribe.") for q in wanted} if wanted else set(TASKS)
    try:
        # Models load before the first message is taken: no job's wait includes them.
        warm_tasks(settings, kinds)
    except Exception as exc:  # its jobs would fail the same way: they retry and report it
        log.warning("worker_warmup_failed", error_type=type(exc).__name__)
    # Idle, a worker's consumers woke 5 times a second each: 0.8% of a core per idle worker
    # process, paid by every worker a host runs beyond its cores (bench/scaled.py).
    runner = InProcessWorker(runtime.broker, threads=threads, queues=wanted, wake_ms=WAKE_MS)
    # Every worker also sweeps: pending jobs are re-sent at start-up and stuck ones re-queued.
    sweeper = Sweeper(runtime, interval=max(1.0, settings.job_stale_seconds / 2))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    purges = purge_timer(settings)
    openemr_syncs = sync_timer(settings)
    runner.start()
    sweeper.start()
    for timer in (purges, openemr_syncs):
        if timer is not None:
            timer.start()
    which = ", ".join(sorted(wanted)) if wanted else "all queues"
    click.echo(f"worker running on {settings.broker} with {threads} threads ({which})", err=True)
    stop.wait()
    for timer in (purges, openemr_syncs):
        if timer is not None:
            timer.stop()
    sweeper.stop()
    runner.stop()
    tracing.shutdown()  # flush the last spans
