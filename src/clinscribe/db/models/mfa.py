"""Second factors (TOTP and recovery codes) and the persisted sign-in lockout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, UTCDateTime, utcnow


class UserMfa(Base):
    """A user's TOTP enrolment: pending until a first code confirms it."""

    __tablename__ = "user_mfa"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # The shared TOTP secret, sealed with the key ring (associated data binds it to the user).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last accepted time-step (unix time // 30): a code of this step or earlier is a replay.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MfaRecoveryCode(IdMixin, Base):
    """One single-use recovery code, kept only as an argon2 hash."""

    __tablename__ = "mfa_recovery_codes"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInFailure(Base):
    """Failed attempts against one sign-in name (password) or one user's second factor.

    Keyed by a digest of the name, so an unknown email locks exactly like a known one and no
    email is stored; `user_id` is set when the name belongs to a user (for an admin's unlock).
    """

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_user_id", "user_id"),)

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # How many times this name has been locked since its last success: the next period doubles.
    locks: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
