"""A task's own failure hooks run when its job is retried or dies; the runner knows no kind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.jobs import queue as workqueue
from clinscribe.jobs import runtime
from clinscribe.jobs.tasks import TASKS, PermanentJobError, RetryLater, task
from clinscribe.storage.blobs import BlobStore
from clinscribe.tasks import setup_jobs
from tests.support import TenantWorld

KIND = "test.flaky"


@dataclass
class Flaky:
    """A registered test task: each attempt raises the next planned failure, or succeeds."""

    plan: list[Exception] = field(default_factory=list)
    calls: list[tuple[str, str, int, str, str | None]] = field(default_factory=list)

    def run(self, settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
        if self.plan:
            raise self.plan.pop(0)
        return "thing", job.subject_id

    def _seen(self, hook: str, job: Job) -> None:
        self.calls.append((hook, job.id, job.attempts, job.status, job.last_error))

    def retried(self, settings: Settings, job: Job) -> None:
        self._seen("retry", job)

    def dead(self, settings: Settings, job: Job) -> None:
        self._seen("dead", job)


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    flaky = Flaky()
    task(KIND, on_retry=flaky.retried, on_dead=flaky.dead)(flaky.run)
    yield flaky
    del TASKS[KIND]


@pytest.fixture
def rt(settings: Settings, flaky: Flaky) -> runtime.Runtime:
    # Set up after the test task registered, so the runtime declares its actor too.
    return setup_jobs(settings.model_copy(update={"job_max_attempts": 3, "job_stale_seconds": 60}))


def queue_job(rt: runtime.Runtime, world: TenantWorld) -> str:
    with session_scope(rt.settings.resolved_database_url) as session:
        job = workqueue.create(
            session=session,
            tenant_id=world.id,
            kind=KIND,
            subject_type="thing",
            subject_id="thing-1",
            max_attempts=rt.settings.job_max_attempts,
        )
        return job.id


def test_a_retried_attempt_runs_on_retry_and_the_last_one_on_dead(
    rt: runtime.Runtime, flaky: Flaky, tenant_a: TenantWorld
) -> None:
    flaky.plan = [RuntimeError("flaked")] * 3
    job_id = queue_job(rt, tenant_a)
    for _ in range(2):
        with pytest.raises(runtime.RetryJob):
            rt.run(KIND, job_id)
    rt.run(KIND, job_id)
    error = "RuntimeError: flaked"
    assert flaky.calls == [
        ("retry", job_id, 1, "queued", error),
        ("retry", job_id, 2, "queued", error),
        ("dead", job_id, 3, "dead", error),
    ]


def test_a_permanent_failure_runs_on_dead_only(
    rt: runtime.Runtime, flaky: Flaky, tenant_a: TenantWorld
) -> None:
    flaky.plan = [PermanentJobError("bad input")]
    job_id = queue_job(rt, tenant_a)
    rt.run(KIND, job_id)
    assert flaky.calls == [("dead", job_id, 1, "dead", "PermanentJobError: bad input")]


def test_a_chosen_delay_runs_on_retry_and_re_sends_the_job(
    rt: runtime.Runtime, flaky: Flaky, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky.plan = [RetryLater("busy", 0.5)]
    job_id = queue_job(rt, tenant_a)
    # Record what reaches the broker (a worker of another test may drain its queues at once).
    sent: list[tuple[str, tuple[object, ...], int | None]] = []
    enqueue = rt.broker.enqueue

    def recording(message: Any, *, delay: int | None = None) -> Any:
        sent.append((message.actor_name, tuple(message.args), delay))
        return enqueue(message, delay=delay)

    monkeypatch.setattr(rt.broker, "enqueue", recording)
    rt.run(KIND, job_id)  # acked: the re-send carries the retry, nothing is raised
    assert flaky.calls == [("retry", job_id, 1, "queued", "RetryLater: busy")]
    assert sent == [(f"clinscribe.{KIND}", (job_id,), 500)]


def test_a_job_that_succeeds_runs_no_hook(
    rt: runtime.Runtime, flaky: Flaky, tenant_a: TenantWorld
) -> None:
    job_id = queue_job(rt, tenant_a)
    rt.run(KIND, job_id)
    assert flaky.calls == []
    with session_scope(rt.settings.resolved_database_url) as session:
        row = session.get(Job, job_id)
        assert row is not None and row.status == "succeeded" and row.result_id == "thing-1"
