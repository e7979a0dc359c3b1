"""External OIDC access tokens, validated against the provider's JWKS."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from clinscribe.config import Settings
from clinscribe.errors import Unauthorized
from clinscribe.security.tokens import check_header

# Symmetric algorithms are never accepted from a provider: the "public" key would sign.
ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
ROLE_PRIORITY = ("admin", "reviewer", "clinician")


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    email: str | None
    role: str
    tenant_id: str
    # The provider's authentication methods and time (ID/access token `amr`, `auth_time`).
    amr: tuple[str, ...] = ()
    auth_time: int | None = None


def _auth_time(payload: dict[str, Any]) -> int | None:
    value = payload.get("auth_time", payload.get("iat"))
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def claim_at(payload: dict[str, Any], dotted: str) -> Any:
    """`realm_access.roles` → payload["realm_access"]["roles"]."""
    value: Any = payload
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_jwks_url)


def validate(settings: Settings, token: str) -> OidcIdentity:
    """Check signature, algorithm allow-list, issuer, audience and expiry; map role and tenant."""
    assert settings.oidc_jwks_url is not None and settings.oidc_issuer is not None
    algorithms = [a for a in settings.oidc_algorithms if a in ASYMMETRIC]
    header = check_header(token)
    if header.get("alg") not in algorithms:
        raise Unauthorized("token algorithm not allowed")
    try:
        signing_key = _jwks_client(settings.oidc_jwks_url).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientError as exc:
        raise Unauthorized("token signed with an unknown key") from exc
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            signing_key.key,
            algorithms=algorithms,
            audience=settings.oidc_audience,
            issuer=settings.oidc_issuer,
            options={
                "require": ["exp", "iss", "sub"],
                "verify_aud": settings.oidc_audience is not None,
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    roles = claim_at(payload, settings.oidc_role_claim)
    role_set = (
        set(roles) if isinstance(roles, list) else {roles} if isinstance(roles, str) else set()
    )
    role = next((r for r in ROLE_PRIORITY if r in role_set), None)
    if role is None:
        raise Unauthorized("token grants no Clinscribe role")
    tenant = claim_at(payload, settings.oidc_tenant_claim) or settings.oidc_default_tenant_id
    if not isinstance(tenant, str) or not tenant:
        raise Unauthorized("token names no tenant")
    email = claim_at(payload, settings.oidc_email_claim)
    amr = payload.get("amr")
    return OidcIdentity(
        subject=f"{settings.oidc_issuer}|{payload['sub']}",
        email=email if isinstance(email, str) else None,
        role=role,
        tenant_id=tenant,
        amr=tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else (),
        auth_time=_auth_time(payload),
    )
