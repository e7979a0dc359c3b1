"""The publish circuit breaker against the real RabbitMQ: "down" is a port nothing listens on
(the shared broker is never stopped), "back" is the real one."""

from __future__ import annotations

import time
import uuid

import dramatiq
import pika
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.jobs import runtime as jobs_runtime
from clinscribe.jobs.breaker import Breaker, BrokerUnavailable
from clinscribe.observability.metrics import REGISTRY
from tests.integration.conftest import RABBIT_URL
from tests.live import free_port
from tests.support import build_tenant

DOWN_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}/"


def metric(name: str, breaker: str) -> float:
    return REGISTRY.get_sample_value(f"clinscribe_{name}_total", {"breaker": breaker}) or 0.0


def test_the_breaker_opens_after_failures_and_a_half_open_probe_closes_it() -> None:
    queue = f"clinscribe.breaker-test-{uuid.uuid4().hex[:8]}"
    down, back = RabbitmqBroker(url=DOWN_URL), RabbitmqBroker(url=RABBIT_URL, confirm_delivery=True)
    for broker in (down, back):
        broker.declare_queue(queue)
    message = dramatiq.Message(queue_name=queue, actor_name="probe", args=(), kwargs={}, options={})
    breaker = Breaker("test-broker", failures=2, reset_seconds=0.5)
    opened = metric("breaker_open", "test-broker")
    try:
        for _ in range(2):
            with pytest.raises(BrokerUnavailable):
                breaker.call(lambda: down.enqueue(message))
        assert breaker.state == "open"
        assert metric("breaker_open", "test-broker") == opened + 1
        # Open: the publish is not even tried, so a dead broker costs nothing.
        tried: list[int] = []
        with pytest.raises(BrokerUnavailable, match="open"):
            breaker.call(lambda: tried.append(1))
        assert tried == []
        time.sleep(0.6)
        breaker.call(lambda: back.enqueue(message))  # the half-open probe reaches RabbitMQ
        assert breaker.state == "closed"
        connection = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
        depth = connection.channel().queue_declare(queue, passive=True).method.message_count
        assert depth == 1
        connection.channel().queue_delete(queue)
        connection.close()
    finally:
        back.close()
        down.close()


def test_submissions_succeed_while_rabbitmq_is_down_and_the_sweep_sends_them_later(
    pg_settings: Settings,
) -> None:
    down = pg_settings.model_copy(
        update={"broker": "rabbitmq", "broker_url": DOWN_URL, "broker_breaker_failures": 2}
    )
    world = build_tenant(down)
    fallbacks = metric("breaker_fallback_persist", "broker")
    opened = metric("breaker_open", "broker")
    with TestClient(create_app(down, start_worker=False)) as client:
        for n in range(3):
            sent = client.post(
                f"/api/v1/encounters/{world.encounter_id}/text",
                json={"text": f"Doctor: Any pain today ({n})?\nPatient: No."},
                headers=world.auth("clinician"),
            )
            assert sent.status_code in (201, 202), sent.text
        runtime = jobs_runtime._runtime
        assert runtime is not None and runtime.breaker.state == "open"
    assert metric("breaker_open", "broker") == opened + 1
    assert metric("breaker_fallback_persist", "broker") == fallbacks + 3
    with session_scope(down.resolved_database_url) as session:
        queued = session.scalars(select(Job.id).where(Job.status == "queued")).all()
    assert len(queued) >= 3  # the committed rows are the fallback

    # RabbitMQ is back: a process on the real broker sweeps the rows and publishes them.
    back = down.model_copy(update={"broker_url": RABBIT_URL, "job_resend_seconds": 0.001})
    with TestClient(create_app(back, start_worker=False)):
        runtime = jobs_runtime._runtime
        assert runtime is not None and runtime.settings is back
        time.sleep(0.01)
        assert runtime.sweep() >= 3
        assert runtime.breaker.state == "closed"
