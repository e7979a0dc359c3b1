"""OIDC access tokens checked against a JWKS served over real HTTP on loopback."""

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from clinscribe.api.app import create_app
from clinscribe.security import oidc
from tests.conftest import make_settings
from tests.support import build_tenant

ISSUER = "https://idp.example.test/realms/clinic"
AUDIENCE = "clinscribe"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    server.shutdown()
    oidc._jwks_client.cache_clear()


def make_token(key: rsa.RSAPrivateKey, tenant: str, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "kc-user-1",
        "exp": now + 300,
        "iat": now,
        "email": "oidc.doc@example.org",
        "tenant": tenant,
        "realm_access": {"roles": ["offline_access", "clinician"]},
    }
    claims.update(overrides)
    kid = claims.pop("_kid", "k1")
    alg = claims.pop("_alg", "RS256")
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def test_oidc_tokens_are_validated_and_mapped_to_roles_and_tenants(
    tmp_path: Path, sqlite_template: Path, signing_key: rsa.RSAPrivateKey, jwks_url: str
) -> None:
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    settings = make_settings(
        data_dir, oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks_url=jwks_url
    )
    world = build_tenant(settings)
    with TestClient(create_app(settings, start_worker=False)) as client:

        def status(token: str) -> int:
            return client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
            ).status_code

        good = make_token(signing_key, world.id)
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"})
        assert me.status_code == 200
        assert me.json()["role"] == "clinician" and me.json()["tenant_id"] == world.id
        # The same subject maps to the same local user on every call.
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"}).json()["id"]
            == me.json()["id"]
        )
        admin = make_token(signing_key, world.id, realm_access={"roles": ["admin"]})
        assert (
            client.get("/api/v1/audit", headers={"Authorization": f"Bearer {admin}"}).status_code
            == 200
        )

        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = int(time.time())
        assert status(make_token(signing_key, world.id, aud="another-app")) == 401
        assert status(make_token(signing_key, world.id, exp=now - 5)) == 401
        assert status(make_token(other_key, world.id)) == 401
        assert status(make_token(other_key, world.id, _kid="unknown")) == 401
        assert status(make_token(signing_key, world.id, realm_access={"roles": ["nurse"]})) == 401
        assert status(make_token(signing_key, "no-such-tenant")) == 401
        assert status(make_token(signing_key, world.id, _alg="RS512")) == 401  # not allow-listed
        symmetric = jwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "x",
                "exp": now + 60,
                "tenant": world.id,
                "realm_access": {"roles": ["admin"]},
            },
            "shared-secret-0123456789-0123456789",
            algorithm="HS256",
            headers={"kid": "k1"},
        )
        assert status(symmetric) == 401


def test_role_claims_are_read_from_a_dotted_path() -> None:
    payload = {"realm_access": {"roles": ["reviewer"]}, "groups": "admin"}
    assert oidc.claim_at(payload, "realm_access.roles") == ["reviewer"]
    assert oidc.claim_at(payload, "groups") == "admin"
    assert oidc.claim_at(payload, "missing.path") is None
