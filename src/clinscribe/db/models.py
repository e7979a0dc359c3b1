"""Typed ORM models of the foundation: tenants, users, credentials, patients, encounters, audit."""

from __future__ import annotations

from datetime import date, datetime

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
from clinscribe.db.sealed import FieldCipher, Sealed

ROLES = ("clinician", "reviewer", "admin")
ENCOUNTER_STATUSES = ("planned", "in-progress", "finished", "cancelled")
ENCOUNTER_TYPES = ("ambulatory", "emergency", "inpatient", "telehealth", "home")
SEXES = ("female", "male", "other", "unknown")


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"

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


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('clinician', 'reviewer', 'admin')", name="role"),
        Index("ix_users_tenant_id", "tenant_id"),
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


class Patient(IdMixin, TimestampMixin, Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mrn_index"),
        CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Identifiers are stored encrypted; search goes through keyed hashes (blind indexes).
    mrn_sealed: Mapped[str] = mapped_column("mrn", Text)
    given_name_sealed: Mapped[str] = mapped_column("given_name", Text)
    family_name_sealed: Mapped[str] = mapped_column("family_name", Text)
    birth_date_sealed: Mapped[str | None] = mapped_column("birth_date", Text)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    phone_sealed: Mapped[str | None] = mapped_column("phone", Text)
    email_sealed: Mapped[str | None] = mapped_column("email", Text)
    mrn_index: Mapped[str | None] = mapped_column(String(64))
    search_index: Mapped[str | None] = mapped_column(Text)

    mrn = Sealed[str]("mrn_sealed")
    given_name = Sealed[str]("given_name_sealed")
    family_name = Sealed[str]("family_name_sealed")
    birth_date = Sealed[date | None]("birth_date_sealed", load=date.fromisoformat)
    phone = Sealed[str | None]("phone_sealed")
    email = Sealed[str | None]("email_sealed")

    def __after_seal__(self, cipher: FieldCipher) -> None:
        self.mrn_index = patient_mrn_index(cipher, self.tenant_id, self.mrn)
        self.search_index = " ".join(
            sorted(patient_name_tokens(cipher, self.tenant_id, self.family_name))
        )


def _norm(value: str) -> str:
    return " ".join(value.casefold().split())


def patient_mrn_index(cipher: FieldCipher, tenant_id: str, mrn: str) -> str:
    return cipher.blind("patient.mrn", f"{tenant_id}|{mrn.strip()}")


# Family-name prefixes up to this length are indexed, so search-as-you-type keeps working.
NAME_PREFIX_MAX = 12


def patient_name_tokens(cipher: FieldCipher, tenant_id: str, family_name: str) -> set[str]:
    """Keyed hashes of the family name and its prefixes (what `family_name=` search matches)."""
    name = _norm(family_name)
    prefixes = {name[:n] for n in range(1, min(len(name), NAME_PREFIX_MAX) + 1)} | {name}
    return {cipher.blind("patient.family", f"{tenant_id}|{p}")[:24] for p in prefixes}


def patient_name_query_token(cipher: FieldCipher, tenant_id: str, prefix: str) -> str | None:
    """The token to look for, or None when the prefix is longer than what is indexed."""
    name = _norm(prefix)
    if len(name) > NAME_PREFIX_MAX:
        return None
    return cipher.blind("patient.family", f"{tenant_id}|{name}")[:24]


class Encounter(IdMixin, TimestampMixin, Base):
    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint(
            "status IN ('planned', 'in-progress', 'finished', 'cancelled')", name="status"
        ),
        Index("ix_encounters_tenant_clinician", "tenant_id", "clinician_id"),
        Index("ix_encounters_tenant_patient", "tenant_id", "patient_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinician_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    type: Mapped[str] = mapped_column(String(20), default="ambulatory")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    reason_sealed: Mapped[str | None] = mapped_column("reason", Text)
    reason = Sealed[str | None]("reason_sealed")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """One append-only audit row; `hash` chains it to the row before it."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head: lets the verifier notice rows deleted from the end of the log."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


JOB_STATUSES = ("queued", "running", "succeeded", "failed", "dead")


class Recording(IdMixin, TimestampMixin, Base):
    """Audio (or text) accepted for an encounter; the blob is stored before any job runs."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_tenant_encounter", "tenant_id", "encounter_id"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # upload | tus | text | stream
    mode: Mapped[str] = mapped_column(String(16), default="dictation")  # or conversation
    status: Mapped[str] = mapped_column(String(16), default="stored")
    blob_key: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    # Client file names often carry a patient's name.
    filename_sealed: Mapped[str | None] = mapped_column("filename", Text)
    filename = Sealed[str | None]("filename_sealed")
    content_type: Mapped[str | None] = mapped_column(String(100))
    container: Mapped[str | None] = mapped_column(String(40))
    codec: Mapped[str | None] = mapped_column(String(40))
    duration_s: Mapped[float | None] = mapped_column()
    channels: Mapped[int | None] = mapped_column(Integer)
    sample_rate: Mapped[int | None] = mapped_column(Integer)


class Transcript(IdMixin, TimestampMixin, Base):
    """One transcript per recording (the unique key makes redelivered jobs idempotent)."""

    __tablename__ = "transcripts"
    __table_args__ = (Index("ix_transcripts_tenant_encounter", "tenant_id", "encounter_id"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    duration_s: Mapped[float] = mapped_column(default=0.0)
    engine: Mapped[str] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(100))
    text_sealed: Mapped[str] = mapped_column("text", Text)
    segments_json_sealed: Mapped[str] = mapped_column("segments_json", Text)
    text = Sealed[str]("text_sealed")
    segments_json = Sealed[str]("segments_json_sealed")


class Job(IdMixin, TimestampMixin, Base):
    """Durable job state: written before its message is sent, so nothing accepted is lost."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'dead')", name="status"
        ),
        Index("ix_jobs_status_updated", "status", "updated_at"),
        Index("ix_jobs_tenant_subject", "tenant_id", "subject_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    progress: Mapped[float] = mapped_column(default=0.0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result_type: Mapped[str | None] = mapped_column(String(40))
    result_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExtractionRecord(IdMixin, TimestampMixin, Base):
    """Clinical facts extracted from one transcript (the Extraction JSON of the contract)."""

    __tablename__ = "extractions"
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), unique=True
    )
    engine_version: Mapped[str] = mapped_column(String(40))
    extraction_json_sealed: Mapped[str] = mapped_column("extraction_json", Text)
    extraction_json = Sealed[str]("extraction_json_sealed")


NOTE_STATUSES = ("draft", "in_review", "approved", "rejected", "signed")


class NoteTemplate(IdMixin, TimestampMixin, Base):
    """A tenant-defined template (built-in ones live in code and need no row)."""

    __tablename__ = "note_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    definition_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Note(IdMixin, TimestampMixin, Base):
    """A clinical note; its content lives in immutable versions."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'in_review', 'approved', 'rejected', 'signed')", name="status"
        ),
        Index("ix_notes_tenant_encounter", "tenant_id", "encounter_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    transcript_id: Mapped[str | None] = mapped_column(
        ForeignKey("transcripts.id", ondelete="SET NULL"), index=True
    )
    template_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(64))
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    rejected_reason_sealed: Mapped[str | None] = mapped_column("rejected_reason", Text)
    rejected_reason = Sealed[str | None]("rejected_reason_sealed")
    signed_by: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_version: Mapped[int | None] = mapped_column(Integer)
    # The version this one replaces in the EHR (set when a signed note is amended).
    replaces_version: Mapped[int | None] = mapped_column(Integer)


class NoteVersion(IdMixin, Base):
    """One immutable version of a note, with who made it and the diff from the one before."""

    __tablename__ = "note_versions"
    __table_args__ = (UniqueConstraint("note_id", "version"),)
    __sealed_scope__ = "note_id"

    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[str | None] = mapped_column(String(64))
    reason_sealed: Mapped[str | None] = mapped_column("reason", Text)
    content_json_sealed: Mapped[str] = mapped_column("content_json", Text)
    text_sealed: Mapped[str] = mapped_column("text", Text)
    diff_sealed: Mapped[str | None] = mapped_column("diff", Text)
    reason = Sealed[str | None]("reason_sealed")
    content_json = Sealed[str]("content_json_sealed")
    text = Sealed[str]("text_sealed")
    diff = Sealed[str | None]("diff_sealed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EhrEndpoint(IdMixin, TimestampMixin, Base):
    """A tenant's EHR FHIR endpoint; its auth settings (with secrets) are stored encrypted."""

    __tablename__ = "ehr_endpoints"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    base_url: Mapped[str] = mapped_column(String(500))
    auth_type: Mapped[str] = mapped_column(String(20))
    auth_encrypted: Mapped[str] = mapped_column(Text)
    patient_system: Mapped[str] = mapped_column(String(255))
    encounter_system: Mapped[str] = mapped_column(String(255))
    allow_loopback: Mapped[bool] = mapped_column(Boolean, default=False)


class Delivery(IdMixin, TimestampMixin, Base):
    """The outbox: one row per note version to deliver, written with the signature."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("note_id", "version"),
        Index("ix_deliveries_tenant_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    operation_outcome_json: Mapped[str | None] = mapped_column(Text)
    locations_json: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StreamToken(IdMixin, Base):
    """A single-use browser credential for the live stream; only a hash of the token is kept."""

    __tablename__ = "stream_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # The principal that minted it, so any node can redeem it.
    principal_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(20))
    scopes: Mapped[str] = mapped_column(String(200), default="")
    can_view_all_encounters: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once, by a conditional UPDATE: the first redeemer wins on every node.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StreamSession(TimestampMixin, Base):
    """A live dictation, so a reconnect to any node (or after a restart) can resume it."""

    __tablename__ = "stream_sessions"
    __table_args__ = (
        CheckConstraint("status IN ('live', 'detached', 'stored', 'discarded')", name="status"),
        Index("ix_stream_sessions_status_resume_until", "status", "resume_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    encounter_id: Mapped[str] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="live")
    mode: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(16))
    sample_rate: Mapped[int] = mapped_column(Integer)  # as the client declared it
    bytes_received: Mapped[int] = mapped_column(BigInteger, default=0)
    samples_received: Mapped[int] = mapped_column(BigInteger, default=0)  # at 16 kHz
    # Relative to the data dir: the 16 kHz audio spool and the finals sent so far.
    spool_path: Mapped[str] = mapped_column(String(500))
    node: Mapped[str] = mapped_column(String(100))
    # Refreshed while connected (a heartbeat); past it a detached session is stored.
    resume_until: Mapped[datetime] = mapped_column(UTCDateTime())
    transcript_id: Mapped[str | None] = mapped_column(String(36))
