"""Task registry: each capability declares what its job kinds do in its own `tasks.py`.

A task is the body of a job kind plus Dramatiq-style hooks (the model is an actor with
`on_retry` / `on_failure` callbacks): the generic runner claims, beats, retries and
dead-letters, and asks the task what its subject becomes when an attempt fails and will be
retried (`on_retry`) or when the job dies (`on_dead`), so it never special-cases a kind.
Hooks run after the job row records the failure, in their own transaction, with the job as it
now stands (`attempts`, `last_error`, `status`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.errors import ClinscribeError, NotFound
from clinscribe.storage.blobs import BlobStore

Run = Callable[[Settings, BlobStore, Job], tuple[str, str]]
# A failure hook: told the settings and the (detached) job row after its failure is recorded.
Hook = Callable[[Settings, Job], None]
# Loads what a kind's first job would otherwise load (a model), before the worker takes jobs.
Warm = Callable[[Settings], None]


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
    """What one job kind does, and what happens to its subject when an attempt fails.

    `on_retry` runs after a failed attempt that will be retried, `on_dead` once the job is
    dead (attempts used up, or a permanent failure). Either may be absent. `warm` loads the
    kind's models at worker start-up, so no job (and no queue-wait figure) pays for it.
    """

    kind: str
    run: Run
    on_retry: Hook | None = None
    on_dead: Hook | None = None
    warm: Warm | None = None


TASKS: dict[str, Task] = {}


def task(
    kind: str,
    *,
    on_retry: Hook | None = None,
    on_dead: Hook | None = None,
    warm: Warm | None = None,
) -> Callable[[Run], Run]:
    """Register a function as the body of job kind `kind` (one registration per kind)."""

    def register(fn: Run) -> Run:
        TASKS[kind] = Task(kind=kind, run=fn, on_retry=on_retry, on_dead=on_dead, warm=warm)
        return fn

    return register


def warm_tasks(settings: Settings, kinds: Iterable[str]) -> list[str]:
    """Run the warm-up of every given kind (a shared one once); the kinds warmed, in order."""
    done: set[Warm] = set()
    warmed = []
    for kind in sorted(kinds):
        hook = TASKS[kind].warm
        if hook is None:
            continue
        if hook not in done:
            hook(settings)
            done.add(hook)
        warmed.append(kind)
    return warmed
