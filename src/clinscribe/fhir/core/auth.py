"""EHR authentication: SMART Backend Services, OAuth2 password grant, client secret."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from clinscribe.fhir.core.errors import TokenError

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# SMART Backend Services: the assertion's exp is at most five minutes in the future.
ASSERTION_LIFETIME = 240
_EXPIRY_SKEW = 30.0  # renew a little early so a token never expires in flight


class _Auth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NoAuth(_Auth):
    """No authentication (a trusted network, or a test server)."""

    kind: Literal["none"] = "none"


class SmartBackendAuth(_Auth):
    """SMART Backend Services: client_credentials with a private_key_jwt assertion."""

    kind: Literal["smart_backend"] = "smart_backend"
    token_url: str
    client_id: str
    private_key_pem: SecretStr
    key_id: str | None = None
    algorithm: Literal["RS384", "ES384"] = "RS384"
    scope: str = "system/*.write"


class PasswordAuth(_Auth):
    """OAuth2 resource-owner password grant (legacy EHRs such as some OpenEMR set-ups)."""

    kind: Literal["password"] = "password"
    token_url: str
    client_id: str
    client_secret: SecretStr | None = None
    username: str
    password: SecretStr
    scope: str = ""


class ClientSecretAuth(_Auth):
    """OAuth2 client_credentials with a client secret (HTTP Basic or form post)."""

    kind: Literal["client_secret"] = "client_secret"
    token_url: str
    client_id: str
    client_secret: SecretStr
    method: Literal["basic", "post"] = "basic"
    scope: str = ""


AuthConfig = Annotated[
    NoAuth | SmartBackendAuth | PasswordAuth | ClientSecretAuth, Field(discriminator="kind")
]


def client_assertion(auth: SmartBackendAuth, *, now: float | None = None) -> str:
    """A signed private_key_jwt: iss = sub = client_id, aud = token URL, new jti, exp <= 5 min."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": auth.client_id,
        "sub": auth.client_id,
        "aud": auth.token_url,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
    }
    headers: dict[str, Any] = {"typ": "JWT"}
    if auth.key_id:
        headers["kid"] = auth.key_id
    return jwt.encode(
        claims, auth.private_key_pem.get_secret_value(), algorithm=auth.algorithm, headers=headers
    )


class TokenSource(Protocol):
    """Supplies bearer tokens for an endpoint."""

    def token(self, client: httpx.Client) -> str | None:
        """A valid access token (None when the endpoint needs none)."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token (after the server rejected it)."""
        ...


class _NoToken:
    def token(self, client: httpx.Client) -> str | None:
        return None

    def invalidate(self) -> None:
        return None


class OAuthTokenSource:
    """Fetches tokens from a token endpoint and caches each until shortly before it expires."""

    def __init__(
        self,
        auth: SmartBackendAuth | PasswordAuth | ClientSecretAuth,
        *,
        clock: Callable[[], float] = time.time,
        check_url: Callable[[str], object] | None = None,
    ) -> None:
        self._auth = auth
        self._clock = clock
        self._check_url = check_url
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.requests = 0  # tokens fetched, for tests and metrics

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def token(self, client: httpx.Client) -> str | None:
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at:
                return self._token
            self._token, lifetime = self._fetch(client)
            self._expires_at = self._clock() + max(lifetime - _EXPIRY_SKEW, 0.0)
            return self._token

    def _request(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        auth = self._auth
        form: dict[str, str] = {}
        basic: tuple[str, str] | None = None
        if isinstance(auth, SmartBackendAuth):
            form = {
                "grant_type": "client_credentials",
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": client_assertion(auth),  # wall time, not the cache clock
            }
        elif isinstance(auth, PasswordAuth):
            form = {
                "grant_type": "password",
                "username": auth.username,
                "password": auth.password.get_secret_value(),
                "client_id": auth.client_id,
            }
            if auth.client_secret is not None:
                basic = (auth.client_id, auth.client_secret.get_secret_value())
        else:
            form = {"grant_type": "client_credentials"}
            secret = auth.client_secret.get_secret_value()
            if auth.method == "basic":
                basic = (auth.client_id, secret)
            else:
                form |= {"client_id": auth.client_id, "client_secret": secret}
        if auth.scope:
            form["scope"] = auth.scope
        return form, basic

    def _fetch(self, client: httpx.Client) -> tuple[str, float]:
        if self._check_url is not None:
            self._check_url(self._auth.token_url)
        form, basic = self._request()
        try:
            response = client.post(
                self._auth.token_url,
                data=form,
                auth=httpx.BasicAuth(*basic) if basic else httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise TokenError("token endpoint unreachable", retryable=True) from exc
        self.requests += 1
        status = response.status_code
        if status >= 500 or status in {408, 429}:
            raise TokenError(f"token endpoint answered {status}", retryable=True, status=status)
        if status != 200:
            raise TokenError(f"token request refused ({status})", retryable=False, status=status)
        try:
            body = response.json()
            access = str(body["access_token"])
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("token response is malformed", retryable=False) from exc
        return access, lifetime


def token_source(
    auth: NoAuth | SmartBackendAuth | PasswordAuth | ClientSecretAuth,
    *,
    clock: Callable[[], float] = time.time,
    check_url: Callable[[str], object] | None = None,
) -> TokenSource:
    """The token source for an endpoint's auth configuration."""
    if isinstance(auth, NoAuth):
        return _NoToken()
    return OAuthTokenSource(auth, clock=clock, check_url=check_url)
