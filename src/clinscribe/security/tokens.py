"""Local JWT access and refresh tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

from clinscribe.config import Settings
from clinscribe.errors import Unauthorized

# "mfa": the short-lived ticket between a correct password and its second factor; it opens
# nothing but `POST /auth/mfa/verify`.
TokenType = Literal["access", "refresh", "mfa"]
LOCAL_KID = "clinscribe-1"
# Header parameters that would let a token name its own verification key.
FORBIDDEN_HEADERS = ("jwk", "jku", "x5u", "x5c")


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    tenant_id: str
    role: str
    token_type: TokenType
    jti: str
    expires_at: datetime
    # SMART scopes (space-separated) and launch-context patient of a token narrowed for FHIR.
    scope: str | None = None
    patient: str | None = None
    # How the user signed in (RFC 8176 values, e.g. pwd, otp) and when (unix seconds): the
    # step-up check reads them; a refreshed token keeps the sign-in's, never a new time.
    amr: tuple[str, ...] = ()
    auth_time: int | None = None


def _lifetime(settings: Settings, token_type: TokenType) -> timedelta:
    if token_type == "access":
        return timedelta(minutes=settings.access_token_minutes)
    if token_type == "mfa":
        return timedelta(minutes=settings.mfa_token_minutes)
    return timedelta(days=settings.refresh_token_days)


def _signing_key(settings: Settings) -> str | bytes:
    if settings.jwt_algorithm.startswith("HS"):
        return settings.jwt_signing_secret()
    assert settings.jwt_private_key_path is not None  # checked by Settings
    return settings.jwt_private_key_path.read_bytes()


def _verification_key(settings: Settings) -> str | bytes:
    if settings.jwt_algorithm.startswith("HS"):
        return settings.jwt_signing_secret()
    if settings.jwt_public_key_path is None:
        raise Unauthorized("token verification key is not configured")
    return settings.jwt_public_key_path.read_bytes()


def issue(
    settings: Settings,
    *,
    subject: str,
    tenant_id: str,
    role: str,
    token_type: TokenType,
    jti: str | None = None,
    now: datetime | None = None,
    scope: str | None = None,
    patient: str | None = None,
    amr: Sequence[str] = (),
    auth_time: int | None = None,
) -> tuple[str, TokenClaims]:
    """Sign a token of `token_type` for a user (`scope`/`patient`: narrowed to SMART scopes)."""
    now = now or datetime.now(UTC)
    lifetime = _lifetime(settings, token_type)
    claims = TokenClaims(
        subject,
        tenant_id,
        role,
        token_type,
        jti or str(uuid.uuid4()),
        now + lifetime,
        scope,
        patient,
        tuple(amr),
        auth_time,
    )
    payload: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "tid": tenant_id,
        "role": role,
        "typ": token_type,
        "jti": claims.jti,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    if scope is not None:
        payload["scope"] = scope
    if patient is not None:
        payload["patient"] = patient
    if amr:
        payload["amr"] = list(amr)
    if auth_time is not None:
        payload["auth_time"] = auth_time
    token = jwt.encode(
        payload,
        _signing_key(settings),
        algorithm=settings.jwt_algorithm,
        headers={"kid": LOCAL_KID},
    )
    return token, claims


def check_header(token: str, allowed_kids: set[str] | None = None) -> dict[str, Any]:
    """Reject tokens that carry their own key material or name an unknown key."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("malformed token") from exc
    if any(name in header for name in FORBIDDEN_HEADERS):
        raise Unauthorized("token header names its own key")
    if allowed_kids is not None and header.get("kid") not in allowed_kids:
        raise Unauthorized("token signed with an unknown key")
    return header


def decode(settings: Settings, token: str, expected_type: TokenType) -> TokenClaims:
    """Verify a local token: signature (configured algorithm only), time, issuer, audience, type."""
    check_header(token, {LOCAL_KID})
    try:
        payload = jwt.decode(
            token,
            _verification_key(settings),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    if payload.get("typ") != expected_type:
        raise Unauthorized(f"not an {expected_type} token")
    try:
        return TokenClaims(
            subject=str(payload["sub"]),
            tenant_id=str(payload["tid"]),
            role=str(payload["role"]),
            token_type=expected_type,
            jti=str(payload["jti"]),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
            scope=str(payload["scope"]) if "scope" in payload else None,
            patient=str(payload["patient"]) if "patient" in payload else None,
            amr=tuple(str(m) for m in payload.get("amr", ())),
            auth_time=int(payload["auth_time"]) if "auth_time" in payload else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("token lacks required claims") from exc


def unverified_issuer(token: str) -> str | None:
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = payload.get("iss")
    return issuer if isinstance(issuer, str) else None
