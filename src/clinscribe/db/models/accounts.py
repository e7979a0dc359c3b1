"""Tenants, users, refresh tokens and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow

ROLES = ("clinician", "reviewer", "admin")


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"
    # A unique index, not a constraint: adding it does not make SQLite rebuild `tenants` (whose
    # rebuild under enforced foreign keys would cascade into every tenant's rows).
    __table_args__ = (Index("ix_tenants_smart_iss", "smart_iss", unique=True),)

    name: Mapped[str] = mapped_column(String(200), unique=True)
    # What may leave the machine: deny | deidentify (text only, after de-identification) | allow.
    phi_egress_policy: Mapped[str] = mapped_column(
        String(16), default="deny", server_default="deny"
    )
    # "remote" asks for the configured OpenAI-compatible ASR; honoured only when egress allows.
    asr_engine: Mapped[str] = mapped_column(String(16), default="offline", server_default="offline")
    # Optional LLM refinement of drafts through an OpenAI-compatible chat endpoint.
    llm_base_url: Mapped[str | None] = mapped_column(String(500))
    llm_model: Mapped[str | None] = mapped_column(String(200))
    llm_key_encrypted: Mapped[str | None] = mapped_column(Text)
    # Whether a clinician may approve a note they wrote themselves.
    allow_self_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Days after an encounter ends before the purge job exports and deletes it; None keeps forever.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # OpenEMR bridge: the database URL (sealed, it holds a password), what signing writes back
    # ("soap" | "none") and the OpenEMR facility new encounters belong to.
    openemr_url_encrypted: Mapped[str | None] = mapped_column(Text)
    openemr_write_back: Mapped[str] = mapped_column(
        String(8), default="none", server_default="none"
    )
    openemr_facility_id: Mapped[int | None] = mapped_column(Integer)
    # Whether write-back also adds the problems and medications a clinician accepted to the
    # OpenEMR chart's `lists` (off by default: a problem list is the clinician's to curate).
    openemr_write_lists: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Which Clinscribe role an OpenEMR account gets (JSON, `openemr.core.roles.RoleMap`).
    openemr_role_map: Mapped[str | None] = mapped_column(Text)
    # SMART App Launch from OpenEMR: the FHIR base (`iss`) it launches with, our client id there,
    # the client secret (sealed; None for a public client) and loopback for development only.
    smart_iss: Mapped[str | None] = mapped_column(String(500))
    smart_client_id: Mapped[str | None] = mapped_column(String(255))
    smart_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    smart_allow_loopback: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Roles that must use a second factor (comma-joined; None: nobody is forced) and how many
    # minutes a second factor stays fresh for sensitive actions (None: the installation default).
    mfa_required_roles: Mapped[str | None] = mapped_column(String(64))
    step_up_minutes: Mapped[int | None] = mapped_column(Integer)
    # Networks (CIDR, JSON list) every credential of the tenant must come from; None or [] = any.
    ip_allowlist: Mapped[str | None] = mapped_column(Text)


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('clinician', 'reviewer', 'admin')", name="role"),
        Index("ix_users_tenant_id", "tenant_id"),
        UniqueConstraint("tenant_id", "openemr_user_id", name="uq_users_tenant_openemr_user"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Lets a clinician see every encounter of the tenant, not only their own.
    can_view_all_encounters: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The OpenEMR account (users.id) this user signs in with, linked on first OpenEMR sign-in.
    openemr_user_id: Mapped[int | None] = mapped_column(BigInteger)


class RefreshToken(IdMixin, Base):
    __tablename__ = "refresh_tokens"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKey(IdMixin, Base):
    __tablename__ = "api_keys"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # This key's own requests-per-minute budget (None: only the global per-client limit).
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
