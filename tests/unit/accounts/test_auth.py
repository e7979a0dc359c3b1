import time
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.security import tokens
from tests.conftest import TEST_SECRET
from tests.support import PASSWORD, TenantWorld


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_login_issues_a_working_access_token_and_refresh_token(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    pair = login(client, tenant_a.emails["clinician"])
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 15 * 60
    me = client.get("/api/v1/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["role"] == "clinician" and me.json()["tenant_id"] == tenant_a.id


def test_wrong_password_and_unknown_email_get_the_same_401(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    wrong = client.post(
        "/api/v1/auth/login", json={"email": tenant_a.emails["admin"], "password": "nope-nope-nope"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "ghost@example.org", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": "unauthorized", "detail": "invalid email or password"}
    )


def test_refresh_rotates_and_a_used_refresh_token_is_rejected(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    pair = login(client, tenant_a.emails["reviewer"])
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    new = rotated.json()
    assert (
        client.post("/api/v1/auth/logout", json={"refresh_token": new["refresh_token"]}).status_code
        == 204
    )
    after_logout = client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert after_logout.status_code == 401


def test_a_refresh_token_is_not_accepted_as_an_access_token(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    pair = login(client, tenant_a.emails["admin"])
    response = client.get("/api/v1/me", headers=bearer(pair["refresh_token"]))
    assert response.status_code == 401
    assert "access" in response.json()["detail"]


def test_an_access_token_is_not_accepted_for_refresh(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tenant_a.tokens["admin"]})
    assert response.status_code == 401


def _claims(settings: Settings, world: TenantWorld, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": world.users["admin"],
        "tid": world.id,
        "role": "admin",
        "typ": "access",
        "jti": "j1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def test_forged_expired_and_malformed_tokens_are_rejected(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    headers = {"kid": tokens.LOCAL_KID}
    now = int(time.time())
    forged = jwt.encode(
        _claims(settings, tenant_a), "another-secret-of-enough-length-000000", headers=headers
    )
    expired = jwt.encode(
        _claims(settings, tenant_a, exp=now - 10, iat=now - 1000, nbf=now - 1000),
        TEST_SECRET,
        headers=headers,
    )
    not_yet = jwt.encode(_claims(settings, tenant_a, nbf=now + 600), TEST_SECRET, headers=headers)
    wrong_aud = jwt.encode(
        _claims(settings, tenant_a, aud="someone-else"), TEST_SECRET, headers=headers
    )
    wrong_iss = jwt.encode(_claims(settings, tenant_a, iss="evil"), TEST_SECRET, headers=headers)
    unknown_kid = jwt.encode(_claims(settings, tenant_a), TEST_SECRET, headers={"kid": "other"})
    unsigned = jwt.encode(_claims(settings, tenant_a), None, algorithm="none", headers=headers)
    # A token that embeds its own key must never be trusted.
    embedded = jwt.encode(
        _claims(settings, tenant_a),
        TEST_SECRET,
        headers={**headers, "jwk": {"kty": "oct", "k": "x"}},
    )
    other_tenant = jwt.encode(
        _claims(settings, tenant_a, tid="not-the-tenant"), TEST_SECRET, headers=headers
    )
    for token in (
        forged,
        expired,
        not_yet,
        wrong_aud,
        wrong_iss,
        unknown_kid,
        unsigned,
        embedded,
        other_tenant,
        "not-a-jwt",
        "a.b.c",
    ):
        response = client.get("/api/v1/tenant", headers=bearer(token))
        assert response.status_code == 401, token
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


def test_rs256_with_the_public_key_as_hmac_secret_is_rejected(
    tmp_path,
    sqlite_template,  # type: ignore[no-untyped-def]
) -> None:
    import shutil

    from clinscribe.api.app import create_app
    from tests.conftest import make_settings
    from tests.support import build_tenant

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp_path / "jwt.pem"
    public = tmp_path / "jwt.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    settings = make_settings(
        data_dir, jwt_algorithm="RS256", jwt_private_key_path=private, jwt_public_key_path=public
    )
    world = build_tenant(settings)
    with TestClient(create_app(settings, start_worker=False)) as client:
        assert client.get("/api/v1/me", headers=world.auth("admin")).status_code == 200
        # HS/RS confusion: sign HS256 with the public key bytes as the shared secret.
        import base64
        import hashlib
        import hmac
        import json

        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": tokens.LOCAL_KID}).encode())
        body = b64(json.dumps(_claims(settings, world)).encode())
        signature = hmac.new(
            public.read_bytes(), f"{header}.{body}".encode(), hashlib.sha256
        ).digest()
        confused = f"{header}.{body}.{b64(signature)}"
        response = client.get("/api/v1/me", headers=bearer(confused))
        assert response.status_code == 401


def test_api_keys_work_in_either_header_and_revoked_keys_stop_working(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    created = client.post(
        "/api/v1/api-keys",
        json={"name": "ehr-sync", "scopes": ["read"]},
        headers=tenant_a.auth("admin"),
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(created.json()["prefix"])
    assert client.get("/api/v1/patients", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/v1/patients", headers=bearer(key)).status_code == 200
    listed = client.get("/api/v1/api-keys", headers=tenant_a.auth("admin")).json()
    assert all("key" not in item for item in listed["items"])
    revoke = client.delete(
        f"/api/v1/api-keys/{created.json()['id']}", headers=tenant_a.auth("admin")
    )
    assert revoke.status_code == 200 and revoke.json()["revoked_at"]
    assert client.get("/api/v1/patients", headers={"X-API-Key": key}).status_code == 401


def test_api_keys_are_stored_only_as_hmac_hashes(settings: Settings, tenant_a: TenantWorld) -> None:
    raw = b"".join(p.read_bytes() for p in settings.data_dir.glob("clinscribe.db*"))
    for name in ("key_read", "key_write", "key_admin"):
        key = tenant_a.tokens[name]
        assert key.encode() not in raw
        secret = key.split("_", 2)[2]
        assert len(secret) > 30 and secret.encode() not in raw


def test_a_disabled_user_is_locked_out_at_once(client: TestClient, tenant_a: TenantWorld) -> None:
    token = tenant_a.tokens["clinician"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    client.patch(
        f"/api/v1/users/{tenant_a.users['clinician']}",
        json={"is_active": False},
        headers=tenant_a.auth("admin"),
    )
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_tokens_expire_after_the_configured_lifetime(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    token, claims = tokens.issue(
        settings,
        subject="u",
        tenant_id="t",
        role="admin",
        token_type="access",
        now=datetime.now(UTC) - timedelta(minutes=settings.access_token_minutes + 1),
    )
    assert claims.expires_at < datetime.now(UTC)
    import pytest

    from clinscribe.errors import Unauthorized

    with pytest.raises(Unauthorized, match="expired"):
        tokens.decode(settings, token, "access")
