"""Sign-in lockout, kept in the database: it survives restarts and every node sees it.

Password sign-in and OpenEMR sign-in count failures under the name presented (hashed), so an
unknown name locks exactly like a known one and the answers never tell them apart. Second-factor
codes count under the user. `signin_lockout_attempts` failures in a row lock the name for
`signin_lockout_minutes`; each further lock doubles that, up to `signin_lockout_max_minutes`;
a success clears the count, and so does a quiet period as long as the longest lock. An admin
may unlock a user at once. Every lock and unlock is audited.

Failures are written in the caller's session, after it has rolled the refused request back, and
committed with the refusal's audit record (SQLite allows only one writer, so a second connection
of our own would wait on the request's). The row is read `FOR UPDATE`, so two nodes counting at
once serialise on it.

The per-address rate limit (`security.ratelimit`, memory or Redis) still throttles guessing
across many names; this lock is per name.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import SignInFailure, User
from clinscribe.errors import SignInLocked
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable

__all__ = ["Lockout", "SignInLocked", "account_key", "mfa_key", "unlock_user"]


def account_key(kind: str, *parts: str) -> str:
    """`signin:<kind>:<digest>`; names compare exactly as their sign-in compares them."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"signin:{kind}:{digest}"


def mfa_key(user_id: str) -> str:
    """Second-factor codes are counted per user (the password was already right)."""
    return account_key("mfa", user_id)


class Lockout:
    """The lockout policy: check before verifying, count failures, clear on success."""

    def __init__(self, settings: Settings) -> None:
        self.attempts = settings.signin_lockout_attempts
        self.first = timedelta(minutes=settings.signin_lockout_minutes)
        self.longest = timedelta(minutes=settings.signin_lockout_max_minutes)

    def check(self, session: Session, key: str, *, now: datetime | None = None) -> None:
        """Raise `SignInLocked` while the name is locked (before any secret is checked)."""
        if not self.attempts:
            return
        row = session.get(SignInFailure, key)
        if (
            row is not None
            and row.locked_until is not None
            and row.locked_until > (now or utcnow())
        ):
            raise SignInLocked("too many failed sign-ins; try again later")

    def failed(
        self, session: Session, key: str, *, user: User | None = None, now: datetime | None = None
    ) -> bool:
        """Count one failure; returns whether it locked the name (and audits the lock)."""
        if not self.attempts:
            return False
        now = now or utcnow()
        row = self._row(session, key)
        if now - row.last_failure_at > self.longest:
            row.failures, row.locks = 0, 0  # a quiet period forgives earlier failures
        row.failures += 1
        row.last_failure_at = now
        if user is not None:
            row.user_id = user.id
        locked = row.failures >= self.attempts
        if locked:
            period = min(self.first * (2**row.locks), self.longest)
            row.locked_until = now + period
            row.locks += 1
            row.failures = 0
            audit.record(
                session,
                action="auth.lockout.lock",
                outcome="denied",
                tenant_id=user.tenant_id if user is not None else None,
                actor_type="anonymous",
                object_type="user" if user is not None else "sign_in",
                object_id=user.id if user is not None else None,
            )
        session.flush()
        return locked

    def succeeded(self, session: Session, key: str) -> None:
        if self.attempts:
            session.execute(delete(SignInFailure).where(SignInFailure.key == key))

    @staticmethod
    def _row(session: Session, key: str) -> SignInFailure:
        stmt = select(SignInFailure).where(SignInFailure.key == key).with_for_update()
        row = session.execute(stmt).scalar_one_or_none()
        if row is not None:
            return row
        try:
            with session.begin_nested():  # another node may insert the same name at once
                row = SignInFailure(key=key, failures=0, locks=0, last_failure_at=utcnow())
                session.add(row)
            return row
        except IntegrityError:
            return session.execute(stmt).scalar_one()


def unlock_user(*, session: Session, principal: Principal, user_id: str) -> User:
    """An admin lifts every lock (and failure count) on one of their tenant's users."""
    principal.require("users:write")
    user = get_readable(session, User, user_id, principal, what="user")
    session.execute(delete(SignInFailure).where(SignInFailure.user_id == user.id))
    audit.record(
        session, action="user.unlock", principal=principal, object_type="user", object_id=user.id
    )
    return user
