"""The sign-in lockout, kept in the database: per name, audited, exponential, shared by nodes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.accounts.lockout import Lockout, SignInLocked, account_key
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

    # A known and an unknown name get the same answers, word for word, failure after failure.
    def answers(email: str) -> list[tuple[int, object]]:
        replies = [
            strict.post(LOGIN, json={"email": email, "password": "whatever-pass"}) for _ in range(4)
        ]
        return [(r.status_code, r.json()) for r in replies]

    assert answers("ghost@example.org") == answers(tenant_a.emails["reviewer"])


def test_a_success_resets_the_count(strict: TestClient, tenant_a: TenantWorld) -> None:
    email = tenant_a.emails["admin"]
    assert [_try(strict, email, "wrong-password") for _ in range(2)] == [401, 401]
    assert _try(strict, email, PASSWORD) == 200
    assert [_try(strict, email, "wrong-password") for _ in range(2)] == [401, 401]
    assert _try(strict, email, PASSWORD) == 200


def test_each_lock_doubles_up_to_the_cap_and_expires_by_itself(settings: Settings) -> None:
    lock = Lockout(
        settings.model_copy(
            update={
                "signin_lockout_attempts": 2,
                "signin_lockout_minutes": 1,
                "signin_lockout_max_minutes": 3,
            }
        )
    )
    key = account_key("local", "a@example.org")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    periods = []
    with session_scope(settings.resolved_database_url) as session:
        for _ in range(4):
            assert lock.failed(session, key, now=now) is False
            assert lock.failed(session, key, now=now) is True
            with pytest.raises(SignInLocked):
                lock.check(session, key, now=now)
            until = now
            while True:  # find when it opens again, to the minute
                until += timedelta(minutes=1)
                try:
                    lock.check(session, key, now=until)
                    break
                except SignInLocked:
                    continue
            periods.append(int((until - now).total_seconds() // 60))
            now = until
    assert periods == [1, 2, 3, 3]  # doubling, capped at the maximum


def test_zero_attempts_disables_the_lockout(settings: Settings) -> None:
    lock = Lockout(settings.model_copy(update={"signin_lockout_attempts": 0}))
    key = account_key("local", "b@example.org")
    with session_scope(settings.resolved_database_url) as session:
        for _ in range(20):
            lock.failed(session, key)
        lock.check(session, key)


def test_a_lock_on_one_node_holds_on_another_until_an_admin_unlocks_it(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    """Two app instances over one database: the count, the lock and the unlock are shared."""
    shared = make_settings(settings.data_dir, signin_lockout_attempts=2)
    email = tenant_a.emails["clinician"]
    with (
        TestClient(create_app(shared, start_worker=False)) as one,
        TestClient(create_app(shared, start_worker=False)) as two,
    ):
        assert _try(one, email, "wrong-password") == 401
        assert _try(two, email, "wrong-password") == 401  # the second failure, on node two
        assert _try(one, email, PASSWORD) == 429
        not_admin = two.post(
            f"/api/v1/users/{tenant_a.users['clinician']}/unlock",
            headers=tenant_a.auth("reviewer"),
        )
        assert not_admin.status_code == 403
        unlocked = two.post(
            f"/api/v1/users/{tenant_a.users['clinician']}/unlock", headers=tenant_a.auth("admin")
        )
        assert unlocked.status_code == 200, unlocked.text
        assert _try(one, email, PASSWORD) == 200
    with session_scope(settings.resolved_database_url) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["auth.lockout.lock", "user.unlock"]))
        ).all()
        seen = {(e.action, e.object_id) for e in events}
    user = tenant_a.users["clinician"]
    assert seen == {("auth.lockout.lock", user), ("user.unlock", user)}
