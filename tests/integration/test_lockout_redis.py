"""The sign-in lockout is shared between API nodes through the real Redis."""

import uuid

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.integration.conftest import REDIS_URL


def test_failures_on_one_node_lock_the_name_on_another(pg_settings: Settings) -> None:
    shared = pg_settings.model_copy(
        update={
            "rate_limit_backend": "redis",
            "redis_url": REDIS_URL,
            "signin_lockout_attempts": 2,
        }
    )
    body = {"email": f"{uuid.uuid4().hex}@example.org", "password": "wrong-password"}
    with (
        TestClient(create_app(shared, start_worker=False)) as one,
        TestClient(create_app(shared, start_worker=False)) as two,
    ):
        codes = [c.post("/api/v1/auth/login", json=body).status_code for c in (one, two, one)]
    assert codes == [401, 401, 429]
