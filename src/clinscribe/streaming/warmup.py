"""The live model, loaded and warmed in the background when the server starts.

Readiness reports the node not ready until the warm-up is over, so a load balancer sends the
first stream after a restart only to a node that answers it at full speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from clinscribe.asr.core.engine import StreamingAsrEngine
from clinscribe.errors import ServiceUnavailable
from clinscribe.streaming.core.warm import warm

log = structlog.get_logger(__name__)


class LiveModelWarming(ServiceUnavailable):
    """The live speech model is still loading: the node is not ready for streams yet."""

    status_code = 503
    code = "stream_model_warming"


class LiveWarmup:
    """Loads and warms the live engine on its own thread; `check` is a readiness check."""

    def __init__(self, live: Callable[[], StreamingAsrEngine | None]) -> None:
        """`live` builds (or returns the cached) live engine, None when there is none."""
        self._live = live
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.seconds: float | None = None  # how long the warm-up took, once done

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-warmup", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up is over (True) or `timeout` passes (False)."""
        return self._done.wait(timeout)

    def check(self) -> None:
        """Raise while the model is warming, or the reason warming it failed."""
        if not self._done.is_set():
            raise LiveModelWarming("the live speech model is still warming up")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        began = time.monotonic()
        try:
            engine = self._live()
            # An engine that cannot decode live has nothing to warm; streams will say so.
            if engine is not None:
                warm(engine)
        except Exception as exc:  # reported by readiness; a stream will raise it again
            self._error = exc
            log.warning("stream.warmup_failed", error_type=type(exc).__name__)
        finally:
            self.seconds = round(time.monotonic() - began, 3)
            log.info("stream.warmed", seconds=self.seconds, failed=self._error is not None)
            self._done.set()
