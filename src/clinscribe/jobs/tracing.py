"""Carries the trace across the broker: the sender's context rides in the message options and
the worker continues it, so an upload is one trace from the request through every job it
starts (transcription, then extraction; a signed note's delivery)."""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq import Middleware
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from clinscribe.observability import tracing

OPTION = "otel"


class TracingMiddleware(Middleware):
    """Injects the current trace context on enqueue; runs each message inside a consumer span
    that continues it. Idle (no span, no option) while tracing is off."""

    def __init__(self) -> None:
        self._local = threading.local()

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int) -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        # Re-enqueues without an active span (a delay queue's hand-over, a re-send sweep) keep
        # the context the message already carries.
        if carrier:
            message.options[OPTION] = carrier

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        tracer = tracing.tracer()
        if tracer is None:
            return
        parent = propagate.extract(message.options.get(OPTION) or {})
        args = message.args
        span = tracer.start_span(
            f"job {message.actor_name}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "dramatiq",
                "messaging.destination.name": message.queue_name,
                "messaging.message.id": message.message_id,
                # Job ids are opaque row ids; the job's arguments are nothing else.
                "clinscribe.job_id": str(args[0]) if args else "",
                "clinscribe.job_attempt": int(message.options.get("retries", 0)) + 1,
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        self._local.active = (span, token)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        active = getattr(self._local, "active", None)
        if active is None:
            return
        self._local.active = None
        span, token = active
        if exception is not None:
            # Only the type: the message may quote the input that failed.
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exception).__name__))
        span.end()
        otel_context.detach(token)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self.after_process_message(broker, message)
