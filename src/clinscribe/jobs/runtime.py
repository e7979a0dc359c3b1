"""Actors, sending after commit, the job runner (claim, heartbeat, retry, dead-letter) and the
re-send sweep that recovers lost messages and jobs whose worker died."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import dramatiq
from sqlalchemy import event
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.errors import ClinscribeError
from clinscribe.jobs import queue as workqueue
from clinscribe.jobs.breaker import Breaker
from clinscribe.jobs.broker import get_broker
from clinscribe.jobs.periodic import Periodic
from clinscribe.jobs.tasks import PERMANENT, TASKS, Hook, RetryLater
from clinscribe.observability.logging import get_logger
from clinscribe.observability.metrics import JOB_DURATION, JOB_OUTCOMES, JOB_WAIT, QUEUE_DEPTH
from clinscribe.security import crypto
from clinscribe.storage.blobs import BlobStore
from clinscribe.storage.select import blob_store

log = get_logger("clinscribe.jobs")


# Dramatiq retries a message on any exception its actor raises, so these two need no special
# base: they are ordinary errors of the tree (never shown to an HTTP client).


class JobBusy(ClinscribeError):
    """Another live worker holds this job; Dramatiq retries the message after a backoff."""

    status_code = 409
    code = "job_busy"


class RetryJob(ClinscribeError):
    """The attempt failed and attempts remain; Dramatiq retries with exponential backoff."""

    status_code = 503
    code = "job_retry"


@dataclass
class Runtime:
    """Everything a process needs to send and run jobs."""

    settings: Settings
    broker: dramatiq.Broker
    blobs: BlobStore
    actors: dict[str, dramatiq.Actor[Any, Any]] = field(default_factory=dict)
    breaker: Breaker = field(init=False)

    def __post_init__(self) -> None:
        self.breaker = Breaker(
            "broker",
            failures=self.settings.broker_breaker_failures,
            reset_seconds=self.settings.broker_breaker_reset_seconds,
        )

    def send(self, kind: str, job_id: str) -> None:
        """Publish through the breaker; BrokerUnavailable when the broker is not taking it."""
        actor = self.actors[kind]
        self.breaker.call(lambda: actor.send(job_id))

    def run(self, kind: str, job_id: str) -> None:
        """One delivery of a job message."""
        url = self.settings.resolved_database_url
        stale = timedelta(seconds=self.settings.job_stale_seconds)
        with session_scope(url) as session:
            job = workqueue.claim(session=session, job_id=job_id, stale_after=stale)
            if job is None:
                current = session.get(Job, job_id)
                busy = current is not None and current.status == "running"
            else:
                session.expunge(job)
        if job is None:
            JOB_OUTCOMES.labels(kind, "skipped").inc()
            if busy:
                raise JobBusy(job_id)
            return
        log.info("job_started", job_id=job_id, kind=kind, attempt=job.attempts)
        if job.attempts == 1 and job.started_at is not None:
            # Queue wait: what scaling workers out shortens (retries wait on purpose).
            JOB_WAIT.labels(kind).observe(
                max(0.0, (job.started_at - job.created_at).total_seconds())
            )
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, stop), daemon=True)
        beat.start()
        started = time.perf_counter()
        try:
            result_type, result_id = TASKS[kind].run(self.settings, self.blobs, job)
        except Exception as exc:
            self._failed(kind, job_id, exc)
        else:
            with session_scope(url) as session:
                row = session.get(Job, job_id)
                if row is not None:
                    workqueue.succeed(
                        session=session, job=row, result_type=result_type, result_id=result_id
                    )
            JOB_OUTCOMES.labels(kind, "succeeded").inc()
            log.info("job_succeeded", job_id=job_id, kind=kind)
        finally:
            stop.set()
            JOB_DURATION.labels(kind).observe(time.perf_counter() - started)

    def _failed(self, kind: str, job_id: str, exc: Exception) -> None:
        permanent = isinstance(exc, PERMANENT)
        # The error text goes to the job row, which only the tenant can read; logs get the type.
        message = f"{type(exc).__name__}: {exc}"
        with session_scope(self.settings.resolved_database_url) as session:
            row = session.get(Job, job_id)
            retry = row is not None and workqueue.fail(
                session=session, job=row, error=message, permanent=permanent
            )
        outcome = "retried" if retry else "dead"
        JOB_OUTCOMES.labels(kind, outcome).inc()
        task = TASKS[kind]
        if retry and isinstance(exc, RetryLater):
            self._hook(task.on_retry, job_id)
            # The handler chose the delay (e.g. Retry-After): re-send ourselves and ack this one.
            self.actors[kind].send_with_options(args=(job_id,), delay=int(exc.delay * 1000))
            log.info("job_retry_scheduled", job_id=job_id, kind=kind, delay_s=round(exc.delay, 2))
            return
        log.warning(
            "job_failed", job_id=job_id, kind=kind, error_type=type(exc).__name__, outcome=outcome
        )
        self._hook(task.on_retry if retry else task.on_dead, job_id)
        if retry:
            raise RetryJob(job_id) from exc

    def _hook(self, hook: Hook | None, job_id: str) -> None:
        """Run a task's failure hook with the job row as the failure left it."""
        if hook is None:
            return
        with session_scope(self.settings.resolved_database_url) as session:
            job = session.get(Job, job_id)
            if job is not None:
                session.expunge(job)
        if job is not None:
            hook(self.settings, job)

    def _heartbeat(self, job_id: str, stop: threading.Event) -> None:
        interval = max(0.2, self.settings.job_stale_seconds / 4)
        while not stop.wait(interval):
            try:
                with session_scope(self.settings.resolved_database_url) as session:
                    workqueue.heartbeat(session=session, job_id=job_id)
            except Exception as exc:  # a missed beat is not fatal; the next one may land
                log.warning("heartbeat_failed", job_id=job_id, error_type=type(exc).__name__)

    def sweep(self) -> int:
        """Re-send queued jobs that sat too long and running jobs whose worker went silent."""
        now = utcnow()
        with session_scope(self.settings.resolved_database_url) as session:
            due = workqueue.due_for_resend(
                session=session,
                now=now,
                unsent_after=timedelta(seconds=self.settings.job_resend_seconds),
                stale_after=timedelta(seconds=self.settings.job_stale_seconds),
            )
            pending = [(job.kind, job.id) for job in due]
            workqueue.touch(session=session, job_ids=[job_id for _, job_id in pending])
            for status, count in workqueue.depth(session=session).items():
                QUEUE_DEPTH.labels(status).set(count)
        sent = 0
        for kind, job_id in pending:
            try:
                self.send(kind, job_id)
                sent += 1
            except Exception as exc:  # broker down: the next sweep tries again
                self.breaker.fell_back()
                log.warning("resend_failed", job_id=job_id, error_type=type(exc).__name__)
        if sent:
            log.info("jobs_resent", count=sent)
        return sent


_runtime: Runtime | None = None
_lock = threading.Lock()


def _after_commit(session: Session) -> None:
    pending = session.info.pop(workqueue.PENDING_KEY, None)
    if not pending or _runtime is None:
        return
    for kind, job_id in pending:
        try:
            _runtime.send(kind, job_id)
        except Exception as exc:  # the row is committed; the sweep re-sends it
            _runtime.breaker.fell_back()
            log.warning("send_failed", job_id=job_id, error_type=type(exc).__name__)


def _after_rollback(session: Session) -> None:
    session.info.pop(workqueue.PENDING_KEY, None)


def _perform(kind: str, job_id: str) -> None:
    """The actor body: runs on whichever runtime this process set up last."""
    if _runtime is None:
        raise RuntimeError("job runtime is not set up in this process")
    _runtime.run(kind, job_id)


def setup(settings: Settings) -> Runtime:
    """Build the process runtime once: broker, actors, and the send-after-commit hook."""
    global _runtime
    if not TASKS:
        raise RuntimeError("no job tasks registered: import clinscribe.tasks first")
    with _lock:
        if _runtime is not None and _runtime.settings is settings:
            return _runtime
        crypto.install(settings)
        broker = get_broker(settings)
        runtime = Runtime(
            settings=settings,
            broker=broker,
            blobs=blob_store(settings, crypto.key_ring(settings)),
        )
        declared = broker.get_declared_actors()
        for kind in TASKS:
            name = f"clinscribe.{kind}"
            if name in declared:  # a broker outlives app instances (tests, reloads)
                runtime.actors[kind] = broker.get_actor(name)
                continue
            runtime.actors[kind] = dramatiq.actor(
                actor_name=name,
                queue_name=name,
                broker=broker,
                max_retries=max(20, settings.job_max_attempts * 4),
                min_backoff=1_000,
                max_backoff=60_000,
                time_limit=6 * 3600 * 1000,
            )(partial(_perform, kind))
        if not event.contains(Session, "after_commit", _after_commit):
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_rollback", _after_rollback)
        _runtime = runtime
        return runtime


class Sweeper(Periodic):
    """Runs `Runtime.sweep` at start-up and then periodically on a daemon thread."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        super().__init__("job_sweep", runtime.sweep, interval)
        self.runtime = runtime
