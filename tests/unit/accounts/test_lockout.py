"""The sign-in lockout on password sign-in: counted per name, audited, reset by a success."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clinscribe.security.lockout import Lockout, MemoryFailures, SignInLocked, account_key
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent
from clinscribe.db.session import session_scope
from tests.conftest import make_settings
from tests.support import PASSWORD, TenantWorld

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def strict(settings: Settings) -> Iterator[TestClient]:
    locked = make_settings(settings.data_dir, signin_lockout_attempts=3)
    with TestClient(create_app(locked, start_worker=False), raise_server_exceptions=False) as c:
        yield c


def _try(client: TestClient, email: str, password: str) -> int:
    return client.post(LOGIN, json={"email": email, "password": password}).status_code


def _audited(settings: Settings) -> list[tuple[str, str, str | None]]:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("auth.login")))
        return [(e.action, e.outcome, e.object_id) for e in rows]


def test_three_failures_lock_the_email_even_for_the_right_password(
    strict: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    email = tenant_a.emails["clinician"]
    assert [_try(strict, email, "wrong-password") for _ in range(3)] == [401] * 3
    locked = strict.post(LOGIN, json={"email": email, "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json() == {
        "error": "sign_in_locked",
        "detail": "too many failed sign-ins; try again later",
    }
    assert _try(strict, tenant_a.emails["reviewer"], PASSWORD) == 200
    assert _try(strict, email.upper(), PASSWORD) == 429  # emails compare case-insensitively
    events = _audited(settings)
    user = tenant_a.users["clinician"]
    assert events.count(("auth.login.bad_password", "denied", user)) == 3
    assert events.count(("auth.login.locked", "denied", None)) == 2
    assert ("auth.login", "success", user) not in events


def test_unknown_emails_and_disabled_accounts_count_and_are_audited_alike(
    strict: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    codes = [_try(strict, "nobody@example.org", "whatever-pass") for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    actions = [a for a, _, _ in _audited(settings)]
    assert actions.count("auth.login.unknown_user") == 3


def test_a_success_resets_the_count(strict: TestClient, tenant_a: TenantWorld) -> None:
    email = tenant_a.emails["admin"]
    assert [_try(strict, email, "wrong-password") for _ in range(2)] == [401, 401]
    assert _try(strict, email, PASSWORD) == 200
    assert [_try(strict, email, "wrong-password") for _ in range(2)] == [401, 401]
    assert _try(strict, email, PASSWORD) == 200


def test_the_lock_expires_with_its_window(settings: Settings) -> None:
    now = [1000.0]
    lock = Lockout(
        settings.model_copy(update={"signin_lockout_attempts": 2, "signin_lockout_minutes": 1}),
        MemoryFailures(clock=lambda: now[0]),
    )
    key = account_key("local", "a@example.org")
    lock.failed(key)
    lock.failed(key)
    with pytest.raises(SignInLocked):
        lock.check(key)
    now[0] += 61
    lock.check(key)  # the window has passed


def test_zero_attempts_disables_the_lockout(settings: Settings) -> None:
    lock = Lockout(settings.model_copy(update={"signin_lockout_attempts": 0}), MemoryFailures())
    key = account_key("local", "b@example.org")
    for _ in range(50):
        lock.failed(key)
    lock.check(key)


def test_a_broken_store_fails_open(settings: Settings) -> None:
    class Down(MemoryFailures):
        def count(self, key: str) -> int:
            raise ConnectionError("store down")

    Lockout(settings, Down()).check(account_key("local", "c@example.org"))
