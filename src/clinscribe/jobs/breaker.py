"""The circuit breaker every job publish goes through.

A job's row is committed before its message is published, so a publish that does not happen
loses nothing: the sweep re-sends queued rows. What a broker outage must not do is make every
upload wait out connection timeouts. After `failures` consecutive failed publishes the breaker
opens and publishes fail at once (the row is the fallback); after `reset_seconds` one publish
is let through as a probe: success closes the breaker, failure opens it again.

pybreaker implements the states; this wraps it with the metrics and the one error type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pybreaker

from clinscribe.errors import ServiceUnavailable
from clinscribe.observability.metrics import BREAKER_FALLBACK_PERSIST, BREAKER_OPEN

T = TypeVar("T")


class BrokerUnavailable(ServiceUnavailable):
    """A publish did not reach the broker (it failed, or the breaker is open)."""

    status_code = 503
    code = "broker_unavailable"


class _Metrics(pybreaker.CircuitBreakerListener):
    def __init__(self, name: str) -> None:
        self.name = name

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            BREAKER_OPEN.labels(self.name).inc()


class Breaker:
    """Closed, open or half-open around calls to one dependency."""

    def __init__(self, name: str, *, failures: int, reset_seconds: float) -> None:
        self.name = name
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=failures,
            reset_timeout=reset_seconds,
            listeners=[_Metrics(name)],
            name=name,
        )

    @property
    def state(self) -> str:
        """ "closed", "open" or "half-open"."""
        return str(self._breaker.current_state)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` unless the breaker is open; any failure is a BrokerUnavailable."""
        try:
            return self._breaker.call(fn)
        except pybreaker.CircuitBreakerError as exc:
            raise BrokerUnavailable(f"{self.name} circuit is open") from exc
        except Exception as exc:
            raise BrokerUnavailable(f"{self.name} failed ({type(exc).__name__})") from exc

    def fell_back(self) -> None:
        """Count a publish left to the committed row (and so to the sweep)."""
        BREAKER_FALLBACK_PERSIST.labels(self.name).inc()
