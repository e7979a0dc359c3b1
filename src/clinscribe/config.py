"""One settings object for the whole service, read once per process."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinscribe.errors import ConfigError

MIN_SECRET_BYTES = 32

Profile = Literal["dev", "prod"]
Role = Literal["clinician", "reviewer", "admin"]


class Settings(BaseSettings):
    """Configuration from `CLINSCRIBE_*` environment variables and an optional `.env` file."""

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
    # Sign-in lockout (password and OpenEMR sign-in alike): this many failures for one account
    # name within the window lock it for the rest of the window; 0 disables. Counted in the
    # rate limiter's store (`rate_limit_backend`), so every node sees the same count.
    signin_lockout_attempts: int = Field(default=5, ge=0, le=100)
    signin_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    redis_url: str = "redis://127.0.0.1:6379/0"

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
