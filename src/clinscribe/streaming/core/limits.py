"""Per-session and per-node limits, read from settings (with defaults until they exist there)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StreamLimits:
    """What a node accepts; defaults sized for a 2-core node running tiny.en."""

    max_seconds: float = 2 * 3600.0
    max_bytes_per_second: int = 256 * 1024
    burst_seconds: float = 10.0
    max_frame_bytes: int = 256 * 1024
    idle_seconds: float = 30.0
    max_per_tenant: int = 4
    max_per_node: int = 2  # bench/stream.py: one tiny.en stream per 2 cores within targets
    resume_seconds: float = 15 * 60.0
    token_seconds: float = 60.0
    # Audio waiting for the decoder; past it the server stops reading the socket.
    max_backlog_seconds: float = 20.0
    beam_size: int = 5

    @classmethod
    def from_settings(cls, settings: Any) -> StreamLimits:
        base = cls()
        return cls(
            max_seconds=float(getattr(settings, "stream_max_seconds", base.max_seconds)),
            max_bytes_per_second=int(
                getattr(settings, "stream_max_bytes_per_second", base.max_bytes_per_second)
            ),
            burst_seconds=base.burst_seconds,
            max_frame_bytes=int(getattr(settings, "stream_max_frame_bytes", base.max_frame_bytes)),
            idle_seconds=float(getattr(settings, "stream_idle_seconds", base.idle_seconds)),
            max_per_tenant=int(getattr(settings, "stream_max_per_tenant", base.max_per_tenant)),
            max_per_node=int(getattr(settings, "stream_max_per_node", base.max_per_node)),
            resume_seconds=float(getattr(settings, "stream_resume_seconds", base.resume_seconds)),
            token_seconds=float(getattr(settings, "stream_token_seconds", base.token_seconds)),
            max_backlog_seconds=float(
                getattr(settings, "stream_max_backlog_seconds", base.max_backlog_seconds)
            ),
            beam_size=int(getattr(settings, "asr_beam_size", base.beam_size)),
        )


class TokenBucket:
    """Bytes per second with a burst allowance, so a reconnect may catch up a little."""

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.capacity = max(burst, rate)
        self.tokens = self.capacity
        self._clock = clock  # injectable, so refills do not depend on how busy the machine is
        self.stamp = clock()

    def take(self, amount: int) -> bool:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if amount > self.tokens:
            return False
        self.tokens -= amount
        return True
