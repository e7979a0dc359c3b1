"""One settings object for the whole service, read once per process."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from clinscribe.config_files import FileSettingsSource
from clinscribe.errors import ConfigError

MIN_SECRET_BYTES = 32

Profile = Literal["dev", "prod"]
Role = Literal["clinician", "reviewer", "admin"]


class Settings(BaseSettings):
    """Configuration from `CLINSCRIBE_*` environment variables (or `CLINSCRIBE_*_FILE` files)
    and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_prefix="CLINSCRIBE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    profile: Profile = "dev"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    database_echo: bool = False

    # Jobs: "inprocess" runs Dramatiq actors inside the API process (embedded default).
    broker: Literal["inprocess", "rabbitmq", "redis"] = "inprocess"
    broker_url: str | None = None

    # Local JWTs. HS* algorithms use `jwt_secret`; RS*/ES* use the PEM key pair.
    jwt_algorithm: Literal["HS256", "HS384", "HS512", "RS256", "RS384", "ES256", "ES384"] = "HS256"
    jwt_secret: SecretStr | None = None
    jwt_private_key_path: Path | None = None
    jwt_public_key_path: Path | None = None
    jwt_issuer: str = "clinscribe"
    jwt_audience: str = "clinscribe-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=7, ge=1, le=90)

    # API keys are stored as HMAC-SHA256(pepper, key); the pepper never enters the database.
    api_key_pepper: SecretStr | None = None

    # Field encryption keys: "kid:base64key" entries, the first one encrypts.
    encryption_keys: list[SecretStr] = Field(default_factory=list)
    # HMAC key for blind indexes (equality search over encrypted identifiers such as MRNs).
    # Separate from the encryption keys so rotating those does not change what search matches.
    blind_index_key: SecretStr | None = None

    # External OIDC provider (e.g. Keycloak). Enabled when issuer and JWKS URL are set.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    oidc_role_claim: str = "realm_access.roles"
    oidc_tenant_claim: str = "tenant"
    oidc_default_tenant_id: str | None = None
    oidc_email_claim: str = "email"
    # Browser sign-in (authorization code + PKCE) is offered when a client id is set too.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    # The app's public base URL; the provider returns to <base>/api/v1/auth/oidc/callback.
    oidc_redirect_base: str | None = None

    # Anonymous read-only access to one tenant, for local demos only; never allowed in prod.
    allow_guest: bool = False
    guest_tenant_id: str | None = None

    max_request_bytes: int = Field(default=1_048_576, ge=1024)

    # HTTP hardening.
    cors_origins: list[str] = Field(default_factory=list)
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Proxy addresses whose X-Forwarded-For is believed."
    )
    # Requests per minute, per credential (API key or user) and per client IP; 0 disables.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_ip_per_minute: int = Field(default=1200, ge=0)
    rate_limit_backend: Literal["memory", "redis"] = "memory"
    # Sign-in lockout (password, OpenEMR sign-in and second-factor codes alike): this many
    # failures in a row for one account name lock it for `signin_lockout_minutes`; each further
    # lock doubles the period, up to `signin_lockout_max_minutes`; 0 attempts disables. Counted
    # in the database, so the count survives restarts and every node sees it.
    signin_lockout_attempts: int = Field(default=5, ge=0, le=100)
    signin_lockout_minutes: int = Field(default=1, ge=1, le=24 * 60)
    signin_lockout_max_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # Second factor (TOTP): the name authenticator apps show, how long the sign-in's second
    # step may take, and how recent a second factor sensitive actions need unless the tenant
    # sets its own (`PUT /tenant/security`).
    mfa_issuer: str = Field(default="Clinscribe", min_length=1, max_length=64)
    mfa_token_minutes: int = Field(default=5, ge=1, le=30)
    mfa_step_up_minutes: int = Field(default=15, ge=1, le=24 * 60)
    redis_url: str = "redis://127.0.0.1:6379/0"

    # Note editing. An edit names the version it was made on (`If-Match` or body `version`) and
    # a stale one is refused (409). An edit naming none applies to the current version unless
    # this is set, when it is refused with 428 (scripts written before versions keep working
    # by default; the web UI always names its version).
    note_edit_require_version: bool = False
    # Live collaboration on a note (`/api/v1/notes/{id}/live`): presence lives where the rate
    # limiter counts (`rate_limit_backend`: this process, or Redis shared by every node).
    # A participant who sends nothing (not even a heartbeat) for this long is gone.
    note_presence_timeout_seconds: float = Field(default=45.0, ge=1.0, le=600.0)
    note_live_max_message_bytes: int = Field(default=4096, ge=256, le=65536)
    # Blob storage (recordings, documents): unset keeps them under the data dir; an
    # `s3://bucket/prefix` URL puts them in an S3-compatible store every node shares. The store
    # only ever receives ciphertext. Unset credentials use the SDK's own chain (instance roles).
    blob_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    # Like every setting, each may instead come from a file (container secrets), e.g.
    # CLINSCRIBE_S3_SECRET_KEY_FILE=/run/secrets/s3-secret (`clinscribe.config_files`).
    # botocore's retries: "standard" backs off on throttling and 5xx; "adaptive" also
    # rate-limits the client itself when the store throttles.
    s3_retry_mode: Literal["standard", "adaptive"] = "standard"
    s3_max_attempts: int = Field(default=5, ge=1, le=20)
    s3_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    s3_part_mb: int = Field(default=8, ge=5, le=512)

    # Publishing jobs to an external broker goes through a circuit breaker: after this many
    # consecutive failures it stops trying for `broker_breaker_reset_seconds`, then lets one
    # publish probe. A job whose publish fails stays committed and the sweep sends it later.
    broker_breaker_failures: int = Field(default=5, ge=1, le=1000)
    broker_breaker_reset_seconds: float = Field(default=30.0, gt=0, le=3600)

    # Recordings and jobs.
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    max_audio_seconds: float = Field(default=4 * 3600.0, gt=0)
    max_text_chars: int = Field(default=500_000, ge=100)
    max_queue_depth: int = Field(default=1000, ge=1)
    job_max_attempts: int = Field(default=5, ge=1, le=50)
    job_stale_seconds: float = Field(default=120.0, gt=0)
    job_resend_seconds: float = Field(default=300.0, gt=0)
    tus_expiry_days: int = Field(default=2, ge=1)
    # Patient documents (records): upload size, page and pixel limits, signed link lifetime.
    document_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    document_max_pages: int = Field(default=300, ge=1)
    # Pixels per page image; larger images are refused as decompression bombs.
    document_max_pixels: int = Field(default=60_000_000, ge=1_000_000)
    document_url_seconds: int = Field(default=300, ge=10, le=3600)
    # ECG waveforms: upload size (a DICOM ECG or WFDB record, or a zip of one) and the longest
    # recording analysed (resting ECGs last 10 s; longer Holter-style files are refused).
    waveform_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    waveform_max_seconds: float = Field(default=300.0, gt=0, le=3600)
    # HMAC key of signed document links (dev: a random key kept under the data dir).
    document_url_secret: SecretStr | None = None
    # DICOM imaging: the whole upload (files or a zip of a study) is refused past this size,
    # before it is read; a zip may hold at most this many members and unpack to at most this
    # many bytes (zip bombs and floods of tiny files are refused before anything is stored).
    imaging_max_upload_bytes: int = Field(default=2 * 1024**3, ge=1024)
    imaging_zip_max_members: int = Field(default=5000, ge=1)
    imaging_zip_max_bytes: int = Field(default=4 * 1024**3, ge=1024)
    # Retention: hours between purges run by the worker (the embedded server's, or each
    # `clinscribe worker`); 0 leaves purging to `clinscribe admin purge`. Exports go under
    # `retention_export_dir` (default: the data dir's exports/).
    retention_purge_hours: float = Field(default=0.0, ge=0.0, le=24 * 366)
    retention_export_dir: Path | None = None
    # EHR delivery retries: exponential backoff with jitter from this base, honouring Retry-After.
    delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    delivery_base_delay: float = Field(default=2.0, gt=0)
    delivery_max_delay: float = Field(default=300.0, gt=0)
    delivery_timeout: float = Field(default=30.0, gt=0)
    # The client deliveries reach the EHR with, by registered name (fhir/destination.py).
    delivery_client: str = "fhir"
    # Seconds between scheduled OpenEMR syncs of every tenant with a connection (run by the
    # worker, or the server in the embedded profile); 0 leaves syncing to the API and CLI.
    openemr_sync_interval: float = Field(default=0.0, ge=0.0, le=7 * 86400)

    # Live streaming (WebSocket).
    stream_max_seconds: float = Field(default=7200.0, gt=0)
    stream_max_bytes_per_second: int = Field(default=262_144, ge=1024)
    stream_max_frame_bytes: int = Field(default=262_144, ge=1024)
    stream_idle_seconds: float = Field(default=30.0, gt=0)
    stream_max_per_tenant: int = Field(default=4, ge=1)
    # Measured: one real-time stream per 2-core node with 1 model thread, two with 2 threads.
    stream_max_per_node: int = Field(default=2, ge=1)
    stream_resume_seconds: float = Field(default=900.0, gt=0)
    stream_token_seconds: float = Field(default=60.0, gt=0)
    stream_max_backlog_seconds: float = Field(default=20.0, gt=0)
    # Threads of the live decoder's own model (0: as asr_cpu_threads). A final waits on one
    # decode, so it gets both cores of the reference node (bench/stream.py, docs/benchmarks.md).
    stream_cpu_threads: int = Field(default=2, ge=0, le=64)
    # Load and warm the live model when the server starts (readiness waits for it), so the
    # first stream after a restart gets its first partial as fast as any other. Off where no
    # stream will come: tests, and apps built only to run a command.
    stream_warmup: bool = True

    # Speech recognition. The local engine by registered name (asr/engines.py); "bundled" is
    # the offline Whisper tiny.en shipped as a package.
    asr_local_engine: str = "faster-whisper"
    asr_model: str = "bundled"
    asr_device: str = "cpu"
    asr_compute_type: str = "int8"
    asr_beam_size: int = Field(default=5, ge=1, le=10)
    asr_cpu_threads: int = Field(default=0, ge=0, le=64)
    # Local decodes at once per host across worker processes (0: cores / ASR threads).
    asr_host_slots: int = Field(default=0, ge=0, le=256)
    # A remote OpenAI-compatible transcription endpoint, for tenants whose egress policy allows.
    asr_remote_base_url: str | None = None
    asr_remote_model: str = "whisper-1"
    asr_remote_api_key: SecretStr | None = None
    # Clinical NLP engines by registered name (nlp/core/engine.py).
    nlp_context_engine: str = "medspacy"
    nlp_phi_engine: str = "presidio"
    # Drug interaction knowledge base by registered name (interactions/core/sources.py).
    interactions_source: str = "curated"
    # Recording (live capture, uploads) needs the patient's active ambient-recording consent.
    require_recording_consent: bool = False
    log_level: str = "INFO"
    log_json: bool = True

    # Security controls (`clinscribe admin validate-controls`, `evidence-pack`). When each
    # encryption key entered service, by key id (JSON: {"k2": "2026-01-31"}): the key-age control
    # fails once the first (encrypting) key is older than `key_max_age_days`.
    encryption_key_dates: dict[str, date] = Field(default_factory=dict)
    key_max_age_days: int = Field(default=365, ge=1, le=3650)
    # A backup drill (`admin backup-drill`) and a dependency audit (`admin audit-deps`) count as
    # recent for this many days.
    backup_drill_max_age_days: int = Field(default=7, ge=1, le=366)
    deps_audit_max_age_days: int = Field(default=30, ge=1, le=366)
    # Controls whose failure (or absence) makes validate-controls exit non-zero.
    required_controls: list[str] = Field(
        default_factory=lambda: [
            "encryption-at-rest",
            "key-age",
            "audit-chain",
            "backup-drill",
            "debug-off",
            "default-secrets",
        ]
    )
    # Ed25519 key (PEM, PKCS#8) that signs evidence packs, given inline or as a file; without
    # either, one is generated under the data dir on first use.
    evidence_signing_key: SecretStr | None = None
    evidence_signing_key_file: Path | None = None
    # Tracing follows the OpenTelemetry SDK's own variables: on when an OTLP endpoint or a
    # traces exporter is named. The SDK reads the rest (headers, sampler, resource) itself.
    otel_sdk_disabled: bool = Field(default=False, validation_alias="OTEL_SDK_DISABLED")
    otel_traces_exporter: str | None = Field(default=None, validation_alias="OTEL_TRACES_EXPORTER")
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    otel_exporter_otlp_traces_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    otel_service_name: str | None = Field(default=None, validation_alias="OTEL_SERVICE_NAME")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = FileSettingsSource(settings_cls)
        return init_settings, env_settings, files, dotenv_settings, file_secret_settings

    @model_validator(mode="after")
    def _check_algorithm_material(self) -> Settings:
        if self.jwt_algorithm.startswith(("RS", "ES")) and self.jwt_private_key_path is None:
            if self.profile == "prod":
                return self  # reported together with every other problem by `validate_for_prod`
            raise ConfigError(
                f"CLINSCRIBE_JWT_PRIVATE_KEY_PATH is required for {self.jwt_algorithm} tokens"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'clinscribe.db').resolve()}"

    @property
    def drain_file(self) -> Path:
        """While this file exists the node takes no new work (`clinscribe admin drain`)."""
        return self.data_dir / "DRAINING"

    @property
    def evidence_dir(self) -> Path:
        """Latest backup-drill and dependency-audit results, read by the controls report."""
        return self.data_dir / "evidence"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def prod_problems(self) -> list[str]:
        """Every reason this configuration is unsafe to run in production."""
        problems: list[str] = []
        if self.jwt_algorithm.startswith("HS"):
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret.encode()) < MIN_SECRET_BYTES:
                problems.append(
                    f"CLINSCRIBE_JWT_SECRET is missing or shorter than {MIN_SECRET_BYTES} bytes"
                )
        else:
            for name, path in (
                ("CLINSCRIBE_JWT_PRIVATE_KEY_PATH", self.jwt_private_key_path),
                ("CLINSCRIBE_JWT_PUBLIC_KEY_PATH", self.jwt_public_key_path),
            ):
                if path is None or not path.is_file():
                    problems.append(f"{name} is missing or not a readable file (signing keys)")
        pepper = self.api_key_pepper.get_secret_value() if self.api_key_pepper else ""
        if len(pepper.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"CLINSCRIBE_API_KEY_PEPPER is missing or shorter than {MIN_SECRET_BYTES} bytes"
            )
        if self.is_sqlite:
            problems.append(
                "SQLite is the embedded profile's database; set a PostgreSQL or MariaDB URL"
            )
        if not self.encryption_keys:
            problems.append("CLINSCRIBE_ENCRYPTION_KEYS is missing (field encryption keys)")
        index_key = self.blind_index_key.get_secret_value() if self.blind_index_key else ""
        if len(index_key.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"CLINSCRIBE_BLIND_INDEX_KEY is missing or shorter than {MIN_SECRET_BYTES} bytes"
            )
        if self.allow_guest:
            problems.append("CLINSCRIBE_ALLOW_GUEST must be false in prod")
        if self.oidc_client_id and not (self.oidc_redirect_base or "").startswith("https://"):
            # Behind a proxy the request's own URL is not trustworthy, and codes need TLS.
            problems.append(
                "CLINSCRIBE_OIDC_REDIRECT_BASE must be the app's https:// URL for single sign-on"
            )
        if self.oidc_client_id and not (self.oidc_issuer or "").startswith("https://"):
            problems.append("CLINSCRIBE_OIDC_ISSUER must be an https:// URL for single sign-on")
        return problems

    def validate_for_prod(self) -> None:
        """Fail fast, naming every problem at once, when prod would start unsafely."""
        if self.profile != "prod":
            return
        problems = self.prod_problems()
        if problems:
            raise ConfigError("unsafe prod configuration: " + "; ".join(problems))

    def dev_secret(self, name: str) -> str:
        """A random secret kept under the data dir so CLI and server agree in dev."""
        path = self.data_dir / "secrets" / name
        if path.is_file():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value

    def jwt_signing_secret(self) -> str:
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return self.dev_secret("jwt-secret")

    def document_url_key(self) -> bytes:
        """The HMAC key of signed document links: its own secret, else one derived from the
        JWT secret (so every node of a cluster agrees), else a dev key under the data dir."""
        if self.document_url_secret is not None:
            return self.document_url_secret.get_secret_value().encode()
        if self.jwt_secret is not None:
            jwt = self.jwt_secret.get_secret_value().encode()
            return hmac.new(jwt, b"clinscribe document links", hashlib.sha256).digest()
        return self.dev_secret("document-url-key").encode()

    def api_key_hmac_key(self) -> bytes:
        if self.api_key_pepper is not None:
            return self.api_key_pepper.get_secret_value().encode()
        return self.dev_secret("api-key-pepper").encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated for the chosen profile."""
    settings = Settings()
    settings.validate_for_prod()
    return settings
