"""Task registry: each capability declares what its job kinds do in its own `tasks.py`.

A task is the body of a job kind plus Dramatiq-style hooks (the model is an actor with an
`on_failure` callback): the generic runner claims, beats, retries and dead-letters, and asks
the task what to do when its job dies, so it never special-cases a kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.errors import ClinscribeError, NotFound
from clinscribe.storage.blobs import BlobStore

Run = Callable[[Settings, BlobStore, Job], tuple[str, str]]
OnDead = Callable[[Settings, Job], None]


class PermanentJobError(ClinscribeError):
    """Retrying cannot help (the input itself is bad): the job goes straight to dead."""

    status_code = 422
    code = "job_failed"


class RetryLater(ClinscribeError):
    """A retryable failure with a chosen delay (e.g. the server's Retry-After)."""

    status_code = 503
    code = "retry_later"

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


# Failures that no retry can fix.
PERMANENT: tuple[type[Exception], ...] = (PermanentJobError, NotFound)


@dataclass
class Task:
    """What one job kind does, and what happens to its subject when the job dies."""

    kind: str
    run: Run
    on_dead: OnDead | None = None


TASKS: dict[str, Task] = {}


def task(kind: str, *, on_dead: OnDead | None = None) -> Callable[[Run], Run]:
    """Register a function as the body of job kind `kind` (one registration per kind)."""

    def register(fn: Run) -> Run:
        TASKS[kind] = Task(kind=kind, run=fn, on_dead=on_dead)
        return fn

    return register
