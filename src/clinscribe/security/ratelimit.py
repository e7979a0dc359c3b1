"""Fixed-window rate limits: in memory for one node, Redis when several nodes share limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]
"""Seconds since the epoch; windows are counted on it (`time.time`, or a fixed one in tests)."""


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset: int  # seconds until the window resets

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


class Limiter(Protocol):
    def hit(self, key: str, limit: int, period: int = 60) -> Window: ...


class MemoryLimiter:
    """Counters per (key, window) in this process; old windows are dropped as time moves on."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._current = 0
        self._clock = clock

    def hit(self, key: str, limit: int, period: int = 60) -> Window:
        now = self._clock()
        window = int(now // period)
        with self._lock:
            if window != self._current:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
                self._current = window
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        reset = int((window + 1) * period - now) + 1
        return Window(limit=limit, remaining=limit - count, reset=reset)


class RedisLimiter:
    """INCR + EXPIRE on a per-window key, so every API node counts against the same budget."""

    def __init__(self, url: str, *, clock: Clock = time.time) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._clock = clock

    def hit(self, key: str, limit: int, period: int = 60) -> Window:
        now = self._clock()
        window = int(now // period)
        name = f"clinscribe:rl:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, period + 5)
        count = int(pipe.execute()[0])
        reset = int((window + 1) * period - now) + 1
        return Window(limit=limit, remaining=limit - count, reset=reset)
