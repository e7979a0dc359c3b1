"""A small OpenID Connect provider for tests: discovery, authorize, token and JWKS endpoints.

Authorize approves `user` at once (no login page) and redirects back with a one-use code.
It is also a SMART on FHIR EHR for launches: `{base}/fhir/.well-known/smart-configuration`,
launch ids registered with their patient/encounter context (`launch_context`), `aud` checked
against the FHIR base, and the context returned with the tokens; `clinscribe-smart` is a
confidential client, `clinscribe-smart-public` a public one (PKCE only).
The token endpoint checks what a real provider checks — client secret (HTTP Basic), the
redirect URI, the PKCE S256 verifier, single use of the code — and answers with an RS256 ID
token signed by a key generated for the run. Knobs make it misbehave the ways a sign-in must
survive: a wrong nonce, a tampered ID token, a refusal, or being down.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "clinscribe-web"
CLIENT_SECRET = "test-client-secret-0123456789"
SMART_CLIENT_ID = "clinscribe-smart"
SMART_PUBLIC_CLIENT_ID = "clinscribe-smart-public"
CONFIDENTIAL = {CLIENT_ID: CLIENT_SECRET, SMART_CLIENT_ID: CLIENT_SECRET}
REALM = "/realms/test"
FHIR = "/fhir"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    claims: dict[str, Any]
    context: dict[str, str] = field(default_factory=dict)
    used: bool = False


@dataclass
class Knobs:
    """What the provider does wrong on the next sign-ins (all off by default)."""

    nonce: str | None = None  # put this nonce in ID tokens instead of the client's
    id_claims: dict[str, Any] = field(default_factory=dict)  # override ID token claims
    other_key: bool = False  # sign ID tokens with a key the JWKS does not publish
    deny: str | None = None  # answer authorize with this OAuth error
    roles_in_access_token: bool = False  # Keycloak's default: roles and tenant only there
    # OpenEMR 7's SMART v1 document: no issuer, JWKS or PKCE list; /authorize and /token sit
    # next to the OpenID discovery document under the issuer.
    smart_v1: bool = False


class OidcTestProvider:
    """Serves on 127.0.0.1 at a random port until `stop()` (or the `with` block ends)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stray_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-" + secrets.token_hex(4)
        self.user: dict[str, Any] = {}
        self.redirect_uris: set[str] = set()
        self.knobs = Knobs()
        self.grants: dict[str, Grant] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.last_redirect: str | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.issuer = self.base + REALM
        self.fhir_base = self.base + FHIR
        self.launches: dict[str, dict[str, str]] = {}

    def __enter__(self) -> OidcTestProvider:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Shut down: from now on the provider cannot be reached."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def sign_in_as(
        self,
        *,
        sub: str,
        email: str,
        roles: list[str],
        tenant: str | None,
        amr: list[str] | None = None,
    ) -> None:
        """The next sign-ins are this person's; `amr` is how the provider says they signed in
        (RFC 8176, e.g. ["pwd", "otp"] after a second factor)."""
        self.user = {"sub": sub, "email": email, "realm_access": {"roles": roles}}
        if amr is not None:
            self.user["amr"] = amr
        if tenant is not None:
            self.user["tenant"] = tenant

    def sign_in_as_practitioner(self, user_uuid: str) -> None:
        """The OpenEMR user whose `users.uuid` is `user_uuid` approves the next launches."""
        self.user = {"sub": user_uuid, "fhirUser": f"{self.fhir_base}/Practitioner/{user_uuid}"}

    def launch_context(self, *, patient: str, encounter: str | None = None) -> str:
        """Register what a launch id stands for, as the EHR does when a chart opens an app."""
        launch = secrets.token_urlsafe(12)
        self.launches[launch] = {
            "patient": patient,
            **({"encounter": encounter} if encounter else {}),
        }
        return launch

    def smart_configuration(self) -> dict[str, Any]:
        if self.knobs.smart_v1:
            return {
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "response_types_supported": ["code"],
                "capabilities": ["launch-ehr", "client-confidential-symmetric"],
            }
        return {
            **{k: v for k, v in self.discovery().items() if k != "response_types_supported"},
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": ["openid", "fhirUser", "launch", "patient/*.read"],
            "capabilities": [
                "launch-ehr",
                "client-public",
                "client-confidential-symmetric",
                "context-ehr-patient",
                "context-ehr-encounter",
                "sso-openid-connect",
            ],
        }

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/protocol/openid-connect/auth",
            "token_endpoint": f"{self.issuer}/protocol/openid-connect/token",
            "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        user = dict(grant.claims)
        if self.knobs.roles_in_access_token:
            user.pop("realm_access", None)
            user.pop("tenant", None)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "azp": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": self.knobs.nonce or grant.nonce,
            **user,
            **self.knobs.id_claims,
        }
        key = self.stray_key if self.knobs.other_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def access_token(self, grant: Grant) -> str:
        """Opaque unless roles live in access tokens; then a JWT as Keycloak issues them."""
        if not self.knobs.roles_in_access_token:
            return secrets.token_urlsafe(24)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": "account", "exp": now + 300, **grant.claims}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    # The HTTP side --------------------------------------------------------------------------

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect_uri = query.get("redirect_uri", "")
        client_id = query.get("client_id", "")
        known = client_id in CONFIDENTIAL or client_id == SMART_PUBLIC_CLIENT_ID
        if redirect_uri not in self.redirect_uris or not known:
            return 400, {}, b"unknown client or redirect_uri"
        back: dict[str, str] = {"state": query.get("state", "")}
        scopes = query.get("scope", "").split()
        context: dict[str, str] = {}
        if "launch" in scopes:
            # An EHR launch: the launch id must be one this EHR issued, for this FHIR server.
            context = self.launches.get(query.get("launch", ""), {})
        if self.knobs.deny:
            back["error"] = self.knobs.deny
        elif (
            query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
            or "openid" not in scopes
            or ("launch" in scopes and (not context or query.get("aud") != self.fhir_base))
        ):
            back["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self.grants[code] = Grant(
                    client_id=client_id,
                    redirect_uri=redirect_uri,
                    challenge=query["code_challenge"],
                    nonce=query.get("nonce", ""),
                    claims=dict(self.user),
                    context=dict(context),
                )
            back["code"] = code
        location = f"{redirect_uri}?{urlencode(back)}"
        self.last_redirect = location
        return 302, {"Location": location}, b""

    def _client(self, headers: Any, form: dict[str, str]) -> str | None:
        """The authenticated client: HTTP Basic for a confidential one, the form's for public."""
        header = headers.get("Authorization") or ""
        if not header:
            public = form.get("client_id")
            return public if public == SMART_PUBLIC_CLIENT_ID else None
        for client_id, secret in CONFIDENTIAL.items():
            expected = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            if header == f"Basic {expected}":
                return client_id
        return None

    def _token(self, headers: Any, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({"form": form, "authorization": headers.get("Authorization")})
        client = self._client(headers, form)
        if client is None:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self.grants.get(form.get("code", ""))
            replay = grant is not None and grant.used
            if grant is not None:
                grant.used = True
        if (
            grant is None
            or replay
            or grant.client_id != client
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        return 200, {
            "access_token": self.access_token(grant),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
            **grant.context,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self._send(status, body, {"Content-Type": "application/json"})

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                path = parts.path.removeprefix(REALM)
                if parts.path == FHIR + "/.well-known/smart-configuration":
                    self._json(200, provider.smart_configuration())
                elif path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif path == "/protocol/openid-connect/certs":
                    self._json(200, provider.jwks())
                elif path in ("/protocol/openid-connect/auth", "/authorize"):
                    status, headers, body = provider._authorize(query)
                    self._send(status, body, {"Content-Type": "text/plain", **headers})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                path = urlsplit(self.path).path.removeprefix(REALM)
                if path in ("/protocol/openid-connect/token", "/token"):
                    self._json(*provider._token(self.headers, form))
                else:
                    self._json(404, {"error": "not_found"})

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
