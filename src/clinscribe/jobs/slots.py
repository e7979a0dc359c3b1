"""Host-wide compute slots: how many local transcriptions decode at once on one machine.

Workers scale out by count (compose replicas, KEDA adding pods), but on one host more
concurrent decodes than cores only contend: four one-thread decoders on two cores finished a
batch 11% later than two (bench/scaled.py). So a local decode first takes one of N slots, each
an advisory lock on a file in a directory every worker on the host shares. The kernel drops a
lock when its holder's file is closed, which includes a process killed with -9: a crashed
worker never keeps a slot. Waiting for a slot costs no CPU, and the job's heartbeat goes on.
"""

from __future__ import annotations

import fcntl
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from clinscribe.config import Settings

log = structlog.get_logger(__name__)

SLOT_DIR = Path(tempfile.gettempdir()) / "clinscribe-asr-slots"
POLL_SECONDS = 0.01  # a freed slot idles half of this on average before a waiter takes it


def slot_count(settings: Settings) -> int:
    """The configured count, or (0) as many decodes as the host's cores hold at their threads."""
    if settings.asr_host_slots:
        return settings.asr_host_slots
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return max(1, cores // (settings.asr_cpu_threads or 1))  # 0 threads: the engine's 1


def _open(count: int, directory: Path) -> list[int] | None:
    try:
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        fds = []
        for i in range(count):
            # Read-only is enough for flock, so a slot file another account made still works.
            fds.append(os.open(directory / f"slot-{i}.lock", os.O_RDONLY | os.O_CREAT, 0o644))
        return fds
    except OSError as exc:
        # Without a shared directory there is nothing to coordinate on: decode ungated.
        log.warning("asr_slots_unavailable", error_type=type(exc).__name__)
        return None


@contextmanager
def held(count: int, directory: Path | None = None) -> Iterator[float]:
    """Hold one of `count` slots in `directory` (the host's) while the block runs; yields the
    seconds waited."""
    fds = _open(count, directory or SLOT_DIR)
    if fds is None:
        yield 0.0
        return
    started = time.monotonic()
    order = list(fds)
    random.shuffle(order)  # waiters spread over the slots instead of all polling slot 0 first
    try:
        while True:
            for fd in order:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                try:
                    yield time.monotonic() - started
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                return
            time.sleep(POLL_SECONDS)
    finally:
        for fd in fds:
            os.close(fd)
