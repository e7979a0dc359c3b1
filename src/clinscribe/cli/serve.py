"""`clinscribe serve` (API and web UI) and `clinscribe worker` (job workers)."""

from __future__ import annotations

import signal
import threading

import click

from clinscribe.cli.common import CliError, load_settings
from clinscribe.cli.db import upgrade_database
from clinscribe.jobs.broker import InProcessWorker, check_broker
from clinscribe.jobs.runtime import Sweeper
from clinscribe.observability.logging import configure_logging
from clinscribe.openemr.schedule import sync_timer
from clinscribe.retention.schedule import purge_timer
from clinscribe.tasks import setup_jobs as setup


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


@click.command()
@click.option("--threads", default=2, type=click.IntRange(1, 64), show_default=True)
def worker(threads: int) -> None:
    """Run job workers against the configured broker until SIGTERM/SIGINT."""
    settings = load_settings()
    if settings.broker == "inprocess":
        raise CliError("no external broker configured (set CLINSCRIBE_BROKER=rabbitmq or redis)")
    configure_logging(settings.log_level, settings.log_json)
    check_broker(settings)
    runtime = setup(settings)
    runner = InProcessWorker(runtime.broker, threads=threads)
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
    click.echo(f"worker running on {settings.broker} with {threads} threads", err=True)
    stop.wait()
    for timer in (purges, openemr_syncs):
        if timer is not None:
            timer.stop()
    sweeper.stop()
    runner.stop()
