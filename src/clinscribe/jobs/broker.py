"""Broker selection by configuration, the in-process worker, and the broker readiness check."""

from __future__ import annotations

import threading
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from clinscribe.config import Settings
from clinscribe.errors import ServiceUnavailable
from clinscribe.jobs.tracing import TracingMiddleware

DEFAULT_URLS = {
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
    "redis": "redis://127.0.0.1:6379/0",
}


# Without these a publish can block forever on a connection that died with a broker restart.
AMQP_DEFAULTS = {"heartbeat": "15", "blocked_connection_timeout": "30", "socket_timeout": "10"}


def _resilient(url: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for key, value in AMQP_DEFAULTS.items():
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


@lru_cache(maxsize=4)
def _make_broker(kind: str, url: str | None) -> dramatiq.Broker:
    broker: dramatiq.Broker
    if kind == "rabbitmq":
        broker = RabbitmqBroker(
            url=_resilient(url or DEFAULT_URLS["rabbitmq"]), confirm_delivery=True
        )
    elif kind == "redis":
        broker = RedisBroker(url=url or DEFAULT_URLS["redis"])  # type: ignore[no-untyped-call]
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    # Always present, idle while tracing is off: a broker outlives app instances in a process.
    broker.add_middleware(TracingMiddleware())
    return broker


def get_broker(settings: Settings) -> dramatiq.Broker:
    """The process-wide broker for the configured profile, set as Dramatiq's global broker."""
    broker = _make_broker(settings.broker, settings.broker_url)
    dramatiq.set_broker(broker)
    return broker


class InProcessWorker:
    """Runs actors on threads inside the API process (embedded profile: no separate worker)."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        threads: int = 2,
        queues: set[str] | None = None,
        wake_ms: int = 200,
    ) -> None:
        # `queues` limits which queues this worker consumes (None: all of them). One message in
        # hand per thread and queue (Dramatiq's default is two): jobs last seconds, and a
        # message waiting in a busy worker's buffer is one an idle worker cannot take (the
        # tail of a batch, or a worker killed with its buffer full). `wake_ms`: how often idle
        # consumer and job threads wake to look for delayed messages and a stop (Dramatiq's
        # worker_timeout). Two consumers per queue make that dozens of wake-ups a second; a
        # short wait suits an API process that must stop quickly, a worker process can wait.
        self._worker = dramatiq.Worker(
            broker, queues=queues, worker_threads=threads, worker_timeout=wake_ms
        )
        self._worker.queue_prefetch = threads  # read when the consumers start
        self._lock = threading.Lock()
        self.running = False

    def start(self) -> None:
        with self._lock:
            if not self.running:
                self._worker.start()
                self.running = True

    def stop(self) -> None:
        with self._lock:
            if self.running:
                self._worker.stop()
                self.running = False


def check_broker(settings: Settings) -> None:
    """Raise ServiceUnavailable when the configured broker cannot be reached."""
    if settings.broker == "inprocess":
        return
    url = settings.broker_url or DEFAULT_URLS[settings.broker]
    try:
        if settings.broker == "rabbitmq":
            import pika

            params = pika.URLParameters(url)
            params.socket_timeout = 2
            params.blocked_connection_timeout = 2
            params.connection_attempts = 1
            pika.BlockingConnection(params).close()
        else:
            import redis

            redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except Exception as exc:
        raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc
