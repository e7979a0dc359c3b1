"""Browser single sign-on: the OIDC authorization-code flow with PKCE (S256), state and nonce.

The pending sign-in (state, nonce, PKCE verifier) travels in a short-lived cookie encrypted
with the field key ring, so any node can finish a sign-in another node started and nothing is
stored server-side. The state binds the provider's answer to the browser that asked; the
provider itself refuses a code presented twice (RFC 6749 §4.1.2), which is what stops replay.
The ID token is checked by the same code that checks OIDC access tokens (signature against the
provider's JWKS, algorithm allow-list, issuer, audience = our client id, expiry) and mapped to a
role and tenant the same way; only the nonce and `azp` checks are added here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt
from sqlalchemy.orm import Session

from clinscribe.accounts import auth
from clinscribe.accounts.schemas import TokenPair
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.errors import Unauthorized
from clinscribe.observability.logging import get_logger
from clinscribe.security import oidc
from clinscribe.security.crypto import DecryptionError, key_ring

log = get_logger("clinscribe.sso")

SCOPE = "openid email profile"
PENDING_SECONDS = 600
DISCOVERY_SECONDS = 300.0
HTTP_TIMEOUT = 5.0
_AAD = "oidc-pending-sign-in"
# Failures the provider or the network caused, as opposed to a bad or forged answer.
UNAVAILABLE = "unavailable"


class SignInFailed(Unauthorized):
    """Single sign-on did not complete; `reason` names the step for the sign-in page."""

    status_code = 401
    code = "sso_failed"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    """The endpoints the provider's discovery document names."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Pending:
    """One sign-in between leaving for the provider and coming back."""

    state: str
    nonce: str
    verifier: str
    expires: int


_discovered: dict[str, tuple[float, Provider]] = {}


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def discover(settings: Settings) -> Provider:
    """The issuer's `.well-known/openid-configuration`, cached for a few minutes."""
    if not enabled(settings):
        raise SignInFailed("not_configured", "single sign-on is not configured")
    issuer = str(settings.oidc_issuer)
    cached = _discovered.get(issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInFailed(UNAVAILABLE, f"discovery failed: {type(exc).__name__}") from exc
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        # A document for another issuer would let that issuer's tokens through.
        raise SignInFailed(UNAVAILABLE, "discovery document names another issuer")
    endpoints = {
        name: document.get(name)
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
    }
    if not all(
        isinstance(v, str) and v.startswith(("https://", "http://")) for v in endpoints.values()
    ):
        raise SignInFailed(UNAVAILABLE, "discovery document lacks an endpoint")
    provider = Provider(issuer=issuer, **{k: str(v) for k, v in endpoints.items()})
    _discovered[issuer] = (time.monotonic() + DISCOVERY_SECONDS, provider)
    return provider


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def begin(settings: Settings, *, redirect_uri: str) -> tuple[str, str]:
    """The provider's authorization URL and the sealed pending sign-in for the cookie."""
    provider = discover(settings)
    pending = Pending(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),
        expires=int(time.time()) + PENDING_SECONDS,
    )
    params = {
        "response_type": "code",
        "client_id": str(settings.oidc_client_id),
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": _challenge(pending.verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    url = provider.authorization_endpoint + separator + urlencode(params)
    sealed = key_ring(settings).encrypt(json.dumps(asdict(pending)).encode(), _AAD)
    return url, sealed


def _open(settings: Settings, sealed: str | None) -> Pending:
    if not sealed:
        raise SignInFailed("expired", "no sign-in in progress in this browser")
    try:
        pending = Pending(**json.loads(key_ring(settings).decrypt(sealed, _AAD)))
    except (DecryptionError, ValueError, TypeError) as exc:
        raise SignInFailed("expired", "the pending sign-in is unreadable") from exc
    if pending.expires < time.time():
        raise SignInFailed("expired", "the pending sign-in expired")
    return pending


def _exchange(
    settings: Settings, provider: Provider, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    """Trade the code for tokens at the token endpoint (the answer has an ID token)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    client_auth: httpx.BasicAuth | None = None
    if settings.oidc_client_secret is not None:
        # client_secret_basic, form-encoding both parts first as RFC 6749 §2.3.1 asks.
        client_auth = httpx.BasicAuth(
            quote_plus(str(settings.oidc_client_id)),
            quote_plus(settings.oidc_client_secret.get_secret_value()),
        )
    else:
        form["client_id"] = str(settings.oidc_client_id)
    try:
        response = httpx.post(
            provider.token_endpoint,
            data=form,
            auth=client_auth,
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise SignInFailed(
            UNAVAILABLE, f"token endpoint unreachable: {type(exc).__name__}"
        ) from exc
    if response.status_code >= 500:
        raise SignInFailed(UNAVAILABLE, f"token endpoint answered {response.status_code}")
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        # The error code (e.g. invalid_grant for a code used twice) names no person.
        error = body.get("error") if isinstance(body, dict) else None
        raise SignInFailed("exchange", f"token endpoint refused the code: {str(error)[:64]}")
    if not isinstance(body.get("id_token"), str) or not body["id_token"]:
        raise SignInFailed("id_token", "the token response has no ID token")
    return body


def _about_account(exc: Unauthorized) -> bool:
    # The validator's role and tenant messages are about the account, not the token: it
    # raises them only after the signature, issuer, audience and expiry have passed.
    return "role" in exc.message or "tenant" in exc.message


def _verify(
    settings: Settings, provider: Provider, tokens: dict[str, Any], nonce: str
) -> oidc.OidcIdentity:
    """Validate the ID token with the access-token validator, audience = our client id."""
    jwks_url = settings.oidc_jwks_url or provider.jwks_uri
    id_token = str(tokens["id_token"])
    id_settings = settings.model_copy(
        update={"oidc_audience": settings.oidc_client_id, "oidc_jwks_url": jwks_url}
    )
    identity: oidc.OidcIdentity | None = None
    try:
        identity = oidc.validate(id_settings, id_token)
    except Unauthorized as exc:
        if not _about_account(exc):
            raise SignInFailed("id_token", exc.message) from exc
        unmapped = exc.message
    # The signature was verified just above; these reads only pick further claims.
    claims: dict[str, Any] = jwt.decode(id_token, options={"verify_signature": False})
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignInFailed("nonce", "the ID token's nonce is not this sign-in's")
    audience = claims.get("aud")
    if (
        isinstance(audience, list)
        and len(audience) > 1
        and claims.get("azp") != settings.oidc_client_id
    ):
        raise SignInFailed("id_token", "the ID token was issued to another client")
    if identity is None:
        # Providers often put roles in access tokens only (Keycloak's default): map those,
        # validated as an API bearer token would be, when they are the same person's.
        identity = _from_access_token(settings, jwks_url, tokens.get("access_token"))
        if identity is None or identity.subject != f"{provider.issuer}|{claims.get('sub')}":
            raise SignInFailed("account", unmapped)
    return identity


def _from_access_token(settings: Settings, jwks_url: str, token: Any) -> oidc.OidcIdentity | None:
    if not isinstance(token, str) or token.count(".") != 2:
        return None  # opaque access tokens carry no claims
    try:
        return oidc.validate(settings.model_copy(update={"oidc_jwks_url": jwks_url}), token)
    except Unauthorized:
        return None


def complete(
    *,
    session: Session,
    settings: Settings,
    sealed: str | None,
    state: str | None,
    code: str | None,
    error: str | None,
    redirect_uri: str,
) -> TokenPair:
    """Check the provider's answer against the pending sign-in and issue our own session."""
    if not enabled(settings):
        raise SignInFailed("not_configured", "single sign-on is not configured")
    pending = _open(settings, sealed)
    if not state or not hmac.compare_digest(state, pending.state):
        raise SignInFailed("state", "the answer's state is not this browser's sign-in")
    if error or not code:
        raise SignInFailed("denied", f"the provider answered {str(error or 'no code')[:64]}")
    provider = discover(settings)
    tokens = _exchange(settings, provider, code, pending.verifier, redirect_uri)
    identity = _verify(settings, provider, tokens, pending.nonce)
    try:
        return auth.sign_in_identity(session=session, settings=settings, identity=identity)
    except SignInFailed:
        raise
    except Unauthorized as exc:
        raise SignInFailed("account", exc.message) from exc


def record_failure(*, session: Session, failure: SignInFailed) -> None:
    """Audit a failed sign-in (no person is known yet) and log why, without personal data."""
    outcome = "error" if failure.reason == UNAVAILABLE else "denied"
    log.warning("sso_failed", reason=failure.reason, detail=failure.message)
    audit.record(
        session,
        action=f"auth.sso.{failure.reason}",
        outcome=outcome,
        actor_type="anonymous",
        object_type="sign_in",
    )
