"""Readiness against the real RabbitMQ and Redis brokers."""

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.integration.conftest import RABBIT_URL, REDIS_URL


def test_readyz_is_ready_with_postgres_and_rabbitmq(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(update={"broker": "rabbitmq", "broker_url": RABBIT_URL})
    with TestClient(create_app(settings, start_worker=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    # The session's shared database may hold other tests' tenants with an OpenEMR connection:
    # those are reported per tenant (degraded at worst), not what this test is about.
    checks = response.json()["checks"]
    assert {k: v for k, v in checks.items() if not k.startswith("openemr:")} == {
        "database": "ok",
        "broker": "ok",
        "blob_store": "ok",
        "speech_model": "ok",
    }


def test_readyz_is_ready_with_redis_as_the_broker(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(update={"broker": "redis", "broker_url": REDIS_URL})
    with TestClient(create_app(settings, start_worker=False)) as client:
        assert client.get("/readyz").status_code == 200


def test_readyz_names_a_wrong_rabbitmq_password(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(
        update={"broker": "rabbitmq", "broker_url": "amqp://guest:wrong@127.0.0.1:5672/"}
    )
    with TestClient(create_app(settings, start_worker=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["broker"]
