"""A task repeated on a daemon thread: job sweeps, scheduled purges."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    """Runs `task` at once and then every `interval` seconds until stopped.

    A failing run is logged by exception type only (messages may carry data) and the next
    run comes on time: a database that is briefly away must not end the schedule.
    """

    def __init__(self, name: str, task: Callable[[], object], interval: float) -> None:
        self.name = name
        self.task = task
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                self.task()
            except Exception as exc:
                log.warning("periodic_task_failed", task=self.name, error_type=type(exc).__name__)
            if self._stop.wait(self.interval):
                return
