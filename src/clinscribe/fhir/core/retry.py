"""Retry timing: Retry-After parsing and exponential backoff with full jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from clinscribe.fhir.core.results import DeliveryResult


class RetryPolicy(BaseModel):
    """How often and how patiently to redeliver a bundle."""

    model_config = ConfigDict(frozen=True)

    max_attempts: int = Field(default=8, ge=1)
    base_delay: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=300.0, ge=0)
    # A server asking for more than this is treated as down for now: the caller reschedules.
    max_retry_after: float = Field(default=3600.0, ge=0)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def backoff_delay(
    attempt: int,
    policy: RetryPolicy,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number `attempt` (1-based): full jitter, never sooner than Retry-After."""
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** max(attempt - 1, 0))
    delay = (rng or random).uniform(0, ceiling)  # jitter, not security
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after))
    return delay


class BundlePoster(Protocol):
    """Anything that posts a transaction bundle once (the EHR client)."""

    def post_bundle(self, bundle: dict[str, Any]) -> DeliveryResult:
        """Post once and classify the outcome."""
        ...


def deliver(
    poster: BundlePoster,
    bundle: dict[str, Any],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> DeliveryResult:
    """Post until success, a permanent failure, or the attempts run out (then `exhausted`).

    Safe to repeat because every entry is a conditional create: a retry after a lost
    response matches what the first attempt committed.
    """
    attempt = 1
    while True:
        result = poster.post_bundle(bundle)
        if result.outcome != "retryable":
            return result.model_copy(update={"attempts": attempt})
        if attempt >= policy.max_attempts:
            return result.model_copy(update={"attempts": attempt, "exhausted": True})
        if result.retry_after is not None and result.retry_after > policy.max_retry_after:
            return result.model_copy(update={"attempts": attempt, "exhausted": True})
        sleep(backoff_delay(attempt, policy, retry_after=result.retry_after, rng=rng))
        attempt += 1
