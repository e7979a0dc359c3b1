"""The sign-in lockout is shared between API nodes through the real PostgreSQL database."""

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.support import PASSWORD, TenantWorld

LOGIN = "/api/v1/auth/login"


def test_a_lock_counted_on_two_nodes_holds_on_both_until_an_admin_unlocks(
    pg_settings: Settings, pg_a: TenantWorld
) -> None:
    shared = pg_settings.model_copy(
        update={"signin_lockout_attempts": 2, "rate_limit_ip_per_minute": 0}
    )
    email = pg_a.emails["reviewer"]

    def attempt(client: TestClient, password: str) -> int:
        return client.post(LOGIN, json={"email": email, "password": password}).status_code

    with (
        TestClient(create_app(shared, start_worker=False)) as one,
        TestClient(create_app(shared, start_worker=False)) as two,
    ):
        assert [attempt(one, "wrong-password"), attempt(two, "wrong-password")] == [401, 401]
        assert [attempt(one, PASSWORD), attempt(two, PASSWORD)] == [429, 429]
        unlock = f"/api/v1/users/{pg_a.users['reviewer']}/unlock"
        assert one.post(unlock, headers=pg_a.auth("admin")).status_code == 200
        assert attempt(two, PASSWORD) == 200
