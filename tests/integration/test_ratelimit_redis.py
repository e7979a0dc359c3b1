"""Two API nodes share one budget through the real Redis."""

import uuid

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.integration.conftest import REDIS_URL
from tests.support import TenantWorld


def test_limits_are_shared_between_nodes_through_redis(
    pg_settings: Settings, pg_a: TenantWorld
) -> None:
    shared = pg_settings.model_copy(
        update={
            "rate_limit_backend": "redis",
            "redis_url": REDIS_URL,
            "rate_limit_per_minute": 4,
            "rate_limit_ip_per_minute": 0,
        }
    )
    # A fresh user so that the budget starts empty whatever ran before.
    headers = pg_a.auth("reviewer")
    headers["X-Request-ID"] = uuid.uuid4().hex
    with (
        TestClient(create_app(shared, start_worker=False)) as one,
        TestClient(create_app(shared, start_worker=False)) as two,
    ):
        codes = [
            c.get("/api/v1/tenant", headers=headers).status_code for c in (one, two, one, two, one)
        ]
    assert codes == [200, 200, 200, 200, 429]


def pinned() -> float:
    """Mid-minute: the four requests below never straddle a window boundary."""
    return 1_800_000_030.0


def test_an_api_keys_own_limit_is_shared_between_nodes_through_redis(
    pg_settings: Settings, pg_a: TenantWorld
) -> None:
    shared = pg_settings.model_copy(
        update={
            "rate_limit_backend": "redis",
            "redis_url": REDIS_URL,
            "rate_limit_ip_per_minute": 0,
        }
    )
    with (
        TestClient(create_app(shared, start_worker=False, clock=pinned)) as one,
        TestClient(create_app(shared, start_worker=False, clock=pinned)) as two,
    ):
        # A new key, so its budget starts empty whatever ran before.
        created = one.post(
            "/api/v1/api-keys",
            json={"name": uuid.uuid4().hex, "scopes": ["read"], "rate_limit_per_minute": 3},
            headers=pg_a.auth("admin"),
        )
        key = {"X-API-Key": created.json()["key"]}
        answers = [c.get("/api/v1/tenant", headers=key) for c in (one, two, one, two)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "3"
    assert answers[3].json()["error"] == "rate_limited"
    assert answers[3].headers["retry-after"] == "31"  # the window's 30 s left, plus one
