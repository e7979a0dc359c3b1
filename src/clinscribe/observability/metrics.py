"""Prometheus metrics. Labels are route templates and codes, never values from a request."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "clinscribe_http_requests_total",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "clinscribe_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
AUDIT_EVENTS = Counter(
    "clinscribe_audit_events_total",
    "Audit events written, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)

JOB_OUTCOMES = Counter(
    "clinscribe_jobs_total",
    "Finished job attempts by kind and outcome (succeeded, retried, dead, skipped).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "clinscribe_job_duration_seconds",
    "Job attempt duration by kind.",
    ["kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
    registry=REGISTRY,
)
AUDIO_SECONDS = Counter(
    "clinscribe_audio_seconds_total",
    "Seconds of audio transcribed.",
    registry=REGISTRY,
)
REAL_TIME_FACTOR = Histogram(
    "clinscribe_asr_real_time_factor",
    "Audio seconds per second of transcription (higher is faster).",
    buckets=(1, 2, 5, 10, 15, 20, 30, 50, 100),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "clinscribe_job_queue_depth",
    "Jobs waiting or running, by status (sampled by the re-send sweep).",
    ["status"],
    registry=REGISTRY,
)
ASR_SLOT_WAIT = Histogram(
    "clinscribe_asr_slot_wait_seconds",
    "Time a local transcription waited for a host decode slot (jobs/slots.py).",
    buckets=(0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
JOB_WAIT = Histogram(
    "clinscribe_job_queue_wait_seconds",
    "Time from a job's creation to the start of its first attempt, by kind.",
    ["kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600),
    registry=REGISTRY,
)
READINESS_FAILING = Gauge(
    "clinscribe_readiness_failing",
    "1 while the named readiness component fails on this node (set by each /readyz).",
    ["component"],
    registry=REGISTRY,
)

# Connection pools of this process's database engines (registered as engines are created).
_POOLS: weakref.WeakSet[Any] = weakref.WeakSet()


def watch_pool(pool: Any) -> None:
    """Report this pool in `clinscribe_db_pool_connections` (pools without counters are
    skipped)."""
    if all(hasattr(pool, name) for name in ("size", "checkedout", "checkedin", "overflow")):
        _POOLS.add(pool)


class _PoolCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "clinscribe_db_pool_connections",
            "Database connections of this process by state (capacity is the pool size).",
            labels=["state"],
        )
        totals = {"capacity": 0, "checked_out": 0, "idle": 0, "overflow": 0}
        for pool in list(_POOLS):
            totals["capacity"] += int(pool.size())
            totals["checked_out"] += int(pool.checkedout())
            totals["idle"] += int(pool.checkedin())
            totals["overflow"] += max(0, int(pool.overflow()))
        for state, value in totals.items():
            family.add_metric([state], value)
        yield family


REGISTRY.register(_PoolCollector())

BREAKER_OPEN = Counter(
    "clinscribe_breaker_open_total",
    "Times a circuit breaker opened (its dependency failed too often in a row), by breaker.",
    ["breaker"],
    registry=REGISTRY,
)
BREAKER_FALLBACK_PERSIST = Counter(
    "clinscribe_breaker_fallback_persist_total",
    "Publishes not made (breaker open or publish failed) whose committed job row is the "
    "fallback, sent by the sweep once the dependency is back; by breaker.",
    ["breaker"],
    registry=REGISTRY,
)
