"""Fixed-window rate limits, counted on an injected clock."""

from __future__ import annotations

from clinscribe.security.ratelimit import MemoryLimiter


class Clock:
    """A settable wall clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_window_counts_hits_per_key_until_the_minute_turns() -> None:
    clock = Clock(1_800_000_000.0)  # the start of a minute
    limiter = MemoryLimiter(clock=clock)
    first = limiter.hit("user:a", 2)
    assert (first.limit, first.remaining, first.reset, first.exceeded) == (2, 1, 61, False)
    clock.now += 45.5
    assert limiter.hit("user:a", 2).remaining == 0
    over = limiter.hit("user:a", 2)
    assert over.exceeded and over.reset == 15  # 14.5 s left, plus one, whole seconds
    assert limiter.hit("user:b", 2).remaining == 1  # every key has its own budget
    clock.now += 14.5  # the next minute: a fresh window
    fresh = limiter.hit("user:a", 2)
    assert (fresh.remaining, fresh.reset, fresh.exceeded) == (1, 61, False)


def test_old_windows_are_dropped_as_time_moves_on() -> None:
    clock = Clock(1_800_000_000.0)
    limiter = MemoryLimiter(clock=clock)
    for key in ("a", "b", "c"):
        limiter.hit(key, 10)
    clock.now += 60
    limiter.hit("a", 10)
    assert list(limiter._counts) == [("a", 30_000_001)]


def test_a_period_other_than_a_minute_has_its_own_windows() -> None:
    clock = Clock(1_800_000_005.0)
    limiter = MemoryLimiter(clock=clock)
    assert limiter.hit("k", 1, period=10).reset == 6
    assert limiter.hit("k", 1, period=10).exceeded
    clock.now += 5
    assert not limiter.hit("k", 1, period=10).exceeded
