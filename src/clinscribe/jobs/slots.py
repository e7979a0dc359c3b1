"""Host-wide compute slots: how many CPU-heavy job steps run at once on one machine (a local
transcription with its audio decoding, an NLP extraction).

Workers scale out by count (compose replicas, KEDA adding pods), but on one host more
concurrent decodes than cores only contend: four one-thread decoders on two cores finished a
batch 11% later than two (bench/scaled.py). So a local decode first takes one of N slots, each
an advisory lock on a file in a directory every worker on the host shares. The kernel drops a
lock when its holder's file is closed, which includes a process killed with -9: a crashed
worker never keeps a slot. The job's heartbeat goes on while it waits.

Waiting is polling (flock cannot wait on the first of several locks), so waiters line up: one
at a time holds a waiting-room lock and polls the slots often, the rest only look at the room,
a few times a second. A poll costs little, but four workers on two cores meant two pollers
polling all batch long, most of a percent of a core each (bench/scaled.py's 4-worker batch).
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
ROOM_POLL_SECONDS = 0.05  # how often a waiter outside the room looks at it
ROOM = "waiting-room.lock"


def slot_count(settings: Settings) -> int:
    """The configured count, or (0) as many decodes as the host's cores hold at their threads."""
    if settings.asr_host_slots:
        return settings.asr_host_slots
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return max(1, cores // (settings.asr_cpu_threads or 1))  # 0 threads: the engine's 1


def _open(count: int, directory: Path) -> list[int] | None:
    """The slot files' descriptors, then the waiting room's; None without a usable directory."""
    try:
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        fds = []
        names = [f"slot-{i}.lock" for i in range(count)] + [ROOM]
        for name in names:
            # Read-only is enough for flock, so a slot file another account made still works.
            fds.append(os.open(directory / name, os.O_RDONLY | os.O_CREAT, 0o644))
        return fds
    except OSError as exc:
        # Without a shared directory there is nothing to coordinate on: decode ungated.
        log.warning("asr_slots_unavailable", error_type=type(exc).__name__)
        return None


def _take(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def held(count: int, directory: Path | None = None) -> Iterator[float]:
    """Hold one of `count` slots in `directory` (the host's) while the block runs; yields the
    seconds waited."""
    fds = _open(count, directory or SLOT_DIR)
    if fds is None:
        yield 0.0
        return
    started = time.monotonic()
    *order, room = fds
    random.shuffle(order)  # waiters spread over the slots instead of all polling slot 0 first
    in_room = False
    looked = False
    try:
        while True:
            # Everyone looks at the slots once; after that only the waiter in the room does.
            if in_room or not looked:
                looked = True
                for fd in order:
                    if not _take(fd):
                        continue
                    if in_room:
                        fcntl.flock(room, fcntl.LOCK_UN)  # the next waiter takes over polling
                    try:
                        yield time.monotonic() - started
                    finally:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                    return
            if not in_room and _take(room):
                in_room = True
                continue
            time.sleep(POLL_SECONDS if in_room else ROOM_POLL_SECONDS)
    finally:
        for fd in fds:
            os.close(fd)  # also drops the room if this waiter leaves while holding it
