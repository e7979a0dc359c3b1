"""The SDK side of tracing, loaded only when tracing is on: exporters named by
`OTEL_TRACES_EXPORTER`, and the scrubber every span passes before any exporter sees it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.util.types import AttributeValue

from clinscribe.errors import ConfigError

_URL_KEYS = ("url.full", "http.url")
# Raw paths and targets may carry a query string or a value typed into a URL; the route
# template (`http.route`) replaces them.
_PATH_KEYS = ("url.path", "http.target")
_DROPPED_KEYS = frozenset(
    {
        "url.query",
        "client.address",
        "client.port",
        "net.peer.ip",
        "http.client_ip",
        "net.sock.peer.addr",
        "network.peer.address",
        "http.request.header.cookie",
        "http.request.header.authorization",
    }
)
# Of an exception event only the type is kept: messages and tracebacks may quote input.
_EVENT_KEYS = frozenset({"exception.type", "exception.escaped"})


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    # User info (a password in a URL) goes too.
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def scrub_attributes(attributes: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
    """The attributes a span may be exported with."""
    clean: dict[str, AttributeValue] = {}
    route = attributes.get("http.route")
    for key, value in attributes.items():
        if key in _DROPPED_KEYS or key.startswith(("http.request.header.", "url.query")):
            continue
        if key in _URL_KEYS and isinstance(value, str):
            value = _strip_query(value)
        elif key in _PATH_KEYS:
            if not isinstance(route, str):
                continue
            value = route
        clean[key] = value
    return clean


class _ScrubbedSpan(ReadableSpan):
    """A finished span re-issued with scrubbed attributes and events."""

    def __init__(self, span: ReadableSpan) -> None:
        events = [
            Event(
                event.name,
                {k: v for k, v in (event.attributes or {}).items() if k in _EVENT_KEYS},
                event.timestamp,
            )
            for event in span.events
        ]
        super().__init__(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=scrub_attributes(span.attributes or {}),
            events=events,
            links=span.links,
            kind=span.kind,
            instrumentation_scope=span.instrumentation_scope,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
        )


class ScrubbingSpanProcessor(SpanProcessor):
    """Hands the inner processor a scrubbed copy of every finished span."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        self.inner.on_end(_ScrubbedSpan(span))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _exporter(name: str) -> SpanExporter:
    # The exporters read their own `OTEL_EXPORTER_*` variables (endpoint, headers, timeout).
    if name in ("otlp", "otlp_proto_http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from importlib.metadata import entry_points

    # Anything else installed as a traces exporter, found the way the SDK finds them.
    for found in entry_points(group="opentelemetry_traces_exporter", name=name):
        exporter: SpanExporter = found.load()()
        return exporter
    raise ConfigError(f"OTEL_TRACES_EXPORTER: no traces exporter named {name!r} is installed")


def build_provider(exporters: list[str], service: str | None) -> TracerProvider:
    """A provider whose every exporter sits behind the scrubber (batching per the SDK's
    `OTEL_BSP_*`; sampler and resource from its own variables)."""
    attributes = {} if service is None else {SERVICE_NAME: service}
    provider = TracerProvider(resource=Resource.create(attributes))
    for name in exporters:
        provider.add_span_processor(ScrubbingSpanProcessor(BatchSpanProcessor(_exporter(name))))
    return provider
