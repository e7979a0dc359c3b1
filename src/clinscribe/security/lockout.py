"""Sign-in lockout: too many failures for one account name lock it for a while.

Both sign-ins (local password, OpenEMR credentials) count here under the name presented, so an
attacker cannot learn whether the name exists: an unknown name locks exactly like a known one.
The counter lives in the rate limiter's store (memory for one node, Redis for several); the
name is hashed before it is used as a key, so no email or user name sits in Redis.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

from clinscribe.config import Settings
from clinscribe.errors import ClinscribeError
from clinscribe.observability.logging import get_logger
from clinscribe.security.ratelimit import Clock

log = get_logger("clinscribe.lockout")


class SignInLocked(ClinscribeError):
    """Too many failed sign-ins for this account name; try again later."""

    status_code = 429
    code = "sign_in_locked"


class FailureStore(Protocol):
    def count(self, key: str) -> int: ...
    def add(self, key: str, ttl: int) -> int: ...
    def clear(self, key: str) -> None: ...


class MemoryFailures:
    """Failure counters in this process, each expiring `ttl` seconds after its first failure."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._items: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> tuple[int, float] | None:
        item = self._items.get(key)
        if item is not None and item[1] <= self._clock():
            del self._items[key]
            return None
        return item

    def count(self, key: str) -> int:
        with self._lock:
            item = self._live(key)
        return item[0] if item else 0

    def add(self, key: str, ttl: int) -> int:
        with self._lock:
            item = self._live(key)
            count, until = item if item else (0, self._clock() + ttl)
            self._items[key] = (count + 1, until)
            return count + 1

    def clear(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class RedisFailures:
    """INCR with an expiry set on the first failure, shared by every node."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def count(self, key: str) -> int:
        value = self._redis.get(key)
        return int(value) if value is not None else 0

    def add(self, key: str, ttl: int) -> int:
        count = int(self._redis.incr(key))
        if count == 1:
            self._redis.expire(key, ttl)
        return count

    def clear(self, key: str) -> None:
        self._redis.delete(key)


@functools.cache
def _redis_store(redis_url: str) -> FailureStore:
    return RedisFailures(redis_url)


# In memory: one store per settings object (a process reads its settings once; each test app
# gets its own counts). The settings object is kept with its store so its id is never reused.
_memory: dict[int, tuple[Settings, FailureStore]] = {}
_memory_lock = threading.Lock()


def store_for(settings: Settings) -> FailureStore:
    """The failure store for the configured backend: Redis (shared) or this process's memory."""
    if settings.rate_limit_backend == "redis":
        return _redis_store(settings.redis_url)
    with _memory_lock:
        entry = _memory.get(id(settings))
        if entry is None:
            entry = _memory[id(settings)] = (settings, MemoryFailures())
        return entry[1]


def account_key(kind: str, *parts: str) -> str:
    """`clinscribe:signin:<kind>:<digest>`; names compare exactly as their sign-in compares them."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"clinscribe:signin:{kind}:{digest}"


class Lockout:
    """The lockout policy over a store: check before verifying, count failures, reset on success."""

    def __init__(self, settings: Settings, store: FailureStore | None = None) -> None:
        self.attempts = settings.signin_lockout_attempts
        self.ttl = settings.signin_lockout_minutes * 60
        self.store = store or store_for(settings)

    def check(self, key: str) -> None:
        """Raise `SignInLocked` while the name is locked (before any password is checked)."""
        if self.attempts and self._safely(self.store.count, key) >= self.attempts:
            raise SignInLocked("too many failed sign-ins; try again later")

    def failed(self, key: str) -> None:
        if self.attempts:
            self._safely(self.store.add, key, self.ttl)

    def succeeded(self, key: str) -> None:
        if self.attempts:
            self._safely(self.store.clear, key)

    @staticmethod
    def _safely(call: Callable[..., int | None], *args: object) -> int:
        # The store down (Redis) must not stop every sign-in: fail open, loudly, as the
        # rate limiter does; the per-address rate limit still applies.
        try:
            return int(call(*args) or 0)
        except Exception as exc:
            log.warning("signin_lockout_unavailable", error_type=type(exc).__name__)
            return 0
