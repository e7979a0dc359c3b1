"""Prometheus metrics of live sessions (no labels carrying request values)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from clinscribe.observability.metrics import REGISTRY

_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0)

ACTIVE_STREAMS = Gauge(
    "clinscribe_stream_active",
    "Live sessions held by this node (connected or waiting for a resume).",
    registry=REGISTRY,
)
PARTIAL_LATENCY = Histogram(
    "clinscribe_stream_partial_latency_seconds",
    "Time from the arrival of the newest audio in a partial result to its emission.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
FINAL_LATENCY = Histogram(
    "clinscribe_stream_final_latency_seconds",
    "Time from the arrival of the end of an utterance to its final segments.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
REJECTED = Counter(
    "clinscribe_stream_rejected_total",
    "Sessions refused or ended by the server, by error code.",
    ["code"],
    registry=REGISTRY,
)
DROPPED = Counter(
    "clinscribe_stream_dropped_total",
    "Connections lost without a stop, by outcome (resumable, expired).",
    ["outcome"],
    registry=REGISTRY,
)
CONTEXT_FALLBACKS = Counter(
    "clinscribe_stream_context_fallbacks_total",
    "Finals decoded again without audio context: the re-heard context disagreed with what "
    "was sent, or nothing new was heard.",
    registry=REGISTRY,
)
