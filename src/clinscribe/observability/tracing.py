"""OpenTelemetry tracing: off unless the standard `OTEL_*` variables ask for an exporter.

The SDK reads its own variables (endpoint, headers, sampler, resource, batch sizes); this
module only decides whether tracing is on and which exporters to build, and puts a scrubber
in front of every exporter so that no span leaves the process with a query string, a client
address or an exception message (any of which may carry patient data). Spans carry ids, route
templates and SQL with placeholders; never request bodies or parameter values.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from clinscribe.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def tracing_enabled(settings: Settings) -> bool:
    """On when an OTLP endpoint or a traces exporter other than `none` is configured."""
    if settings.otel_sdk_disabled:
        return False
    names = exporter_names(settings)
    return bool(names) and names != ["none"]


def exporter_names(settings: Settings) -> list[str]:
    if settings.otel_traces_exporter:
        return [n.strip() for n in settings.otel_traces_exporter.split(",") if n.strip()]
    if settings.otel_exporter_otlp_endpoint or settings.otel_exporter_otlp_traces_endpoint:
        return ["otlp"]
    return []


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider: TracerProvider | None = None
        self.httpx = False
        # Engines created before tracing was configured (a CLI step, a test's set-up).
        self.engines: weakref.WeakSet[Any] = weakref.WeakSet()
        self.traced: weakref.WeakSet[Any] = weakref.WeakSet()


_state = _State()


def configure_tracing(settings: Settings, service: str) -> TracerProvider | None:
    """Set up this process's tracer provider once (None when tracing is off)."""
    if not tracing_enabled(settings):
        return None
    with _state.lock:
        if _state.provider is not None:
            return _state.provider
        # The SDK loads only when tracing is on: every command imports this module.
        from clinscribe.observability.otel_export import build_provider

        names = [n for n in exporter_names(settings) if n != "none"]
        # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win over our default name.
        provider = build_provider(names, None if settings.otel_service_name else service)
        _instrument_httpx()
        _state.provider = provider
        engines = list(_state.engines)
    for engine in engines:
        instrument_engine(engine)
    return provider


def _instrument_httpx() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    if not _state.httpx:
        HTTPXClientInstrumentor().instrument(tracer_provider=_DelegatingProvider())
        _state.httpx = True


def provider() -> TracerProvider | None:
    return _state.provider


def tracer_provider() -> trace.TracerProvider:
    """A provider for instrumentations that reaches whichever provider is current."""
    return _DelegatingProvider()


def tracer() -> trace.Tracer | None:
    """This process's tracer, or None when tracing is off."""
    current = _state.provider
    return None if current is None else current.get_tracer("clinscribe")


def shutdown() -> None:
    """Flush and drop the provider (process exit; tests that turned tracing on)."""
    with _state.lock:
        current, _state.provider = _state.provider, None
    if current is not None:
        current.shutdown()


_NOOP = trace.NoOpTracer()


class _DelegatingProvider(trace.TracerProvider):
    """Instrumentations patched once per process reach whichever provider is current."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace.Tracer:
        return _DelegatingTracer(instrumenting_module_name)


class _DelegatingTracer(trace.Tracer):
    def __init__(self, name: str) -> None:
        self.name = name
        self._cached: tuple[object, trace.Tracer] | None = None

    def _target(self) -> trace.Tracer:
        current = _state.provider
        if current is None:
            return _NOOP
        cached = self._cached
        if cached is None or cached[0] is not current:
            # One SDK tracer per provider, not one per span.
            cached = self._cached = (current, current.get_tracer(self.name))
        return cached[1]

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._target().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._target().start_as_current_span(*args, **kwargs)


def instrument_engine(engine: Any) -> None:
    """Trace this engine's statements (text with placeholders, never parameter values)."""
    with _state.lock:
        if _state.provider is None or engine in _state.traced:
            _state.engines.add(engine)
            return
        _state.traced.add(engine)
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    usage = NoOpMeter("clinscribe").create_up_down_counter("db.client.connections.usage")
    EngineTracer(  # type: ignore[no-untyped-call]
        _DelegatingTracer("clinscribe.db"), engine, usage, enable_commenter=False
    )
