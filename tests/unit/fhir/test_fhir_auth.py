"""EHR authentication: SMART Backend Services assertions, token caching, other grants."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clinscribe.fhir.core import (
    ClientSecretAuth,
    FhirClient,
    PasswordAuth,
    SmartBackendAuth,
    build_bundle,
    client_assertion,
)
from tests.fhir_server import FhirTestServer
from tests.unit.fhir.conftest import local_config, make_note, pem_private, pem_public, seed_world

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secured_server() -> Iterator[FhirTestServer]:
    with FhirTestServer(require_auth=True, token_lifetime=300) as server:
        seed_world(server, ["MRN-1001"], ["ENC-1"])
        yield server


def smart(server: FhirTestServer, key: Key, alg: str) -> SmartBackendAuth:
    server.smart_clients["clinscribe-backend"] = pem_public(key)
    return SmartBackendAuth(
        token_url=server.token_url,
        client_id="clinscribe-backend",
        private_key_pem=pem_private(key),
        key_id="key-1",
        algorithm=alg,
        scope="system/DocumentReference.write system/Observation.write",
    )


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_the_smart_assertion_has_the_required_claims(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey, alg: str
) -> None:
    key: Key = rsa_key if alg == "RS384" else ec_key
    auth = SmartBackendAuth(
        token_url="https://ehr.example.org/oauth2/token",
        client_id="cid",
        private_key_pem=pem_private(key),
        key_id="k1",
        algorithm=alg,
    )
    first, second = client_assertion(auth), client_assertion(auth)
    header = jwt.get_unverified_header(first)
    assert (header["alg"], header["kid"], header["typ"]) == (alg, "k1", "JWT")
    claims: dict[str, Any] = jwt.decode(
        first, pem_public(key), algorithms=[alg], audience="https://ehr.example.org/oauth2/token"
    )
    assert claims["iss"] == claims["sub"] == "cid"
    assert claims["aud"] == "https://ehr.example.org/oauth2/token"
    assert 0 < claims["exp"] - time.time() <= 300
    assert claims["exp"] - claims["iat"] <= 300
    other = jwt.decode(second, options={"verify_signature": False})
    assert claims["jti"] != other["jti"]


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_a_smart_client_gets_a_token_and_delivers(
    secured_server: FhirTestServer,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
    alg: str,
) -> None:
    auth = smart(secured_server, rsa_key if alg == "RS384" else ec_key, alg)
    with FhirClient(local_config(secured_server, auth=auth)) as client:
        assert client.post_bundle(build_bundle(make_note())).outcome == "success"
    ((header, claims),) = secured_server.assertions
    assert header["alg"] == alg
    assert claims["aud"] == secured_server.token_url


def test_the_token_is_cached_until_it_expires(
    secured_server: FhirTestServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    clock = FakeClock()
    auth = smart(secured_server, rsa_key, "RS384")
    with FhirClient(local_config(secured_server, auth=auth), clock=clock) as client:
        for version in (1, 2, 3):
            assert client.post_bundle(build_bundle(make_note(version=version))).delivered
        assert secured_server.stats["tokens"] == 1
        clock.now += 290  # inside the 30 s renewal margin of a 300 s token
        assert client.post_bundle(build_bundle(make_note(version=4))).delivered
    assert secured_server.stats["tokens"] == 2
    jtis = {claims["jti"] for _, claims in secured_server.assertions}
    assert len(jtis) == 2


def test_a_rejected_token_is_renewed_once(
    secured_server: FhirTestServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    auth = smart(secured_server, rsa_key, "RS384")
    with FhirClient(local_config(secured_server, auth=auth)) as client:
        assert client.post_bundle(build_bundle(make_note())).delivered
        secured_server.revoke_tokens()
        assert client.post_bundle(build_bundle(make_note(version=2))).delivered
    assert secured_server.stats["tokens"] == 2


def test_an_unknown_smart_client_fails_permanently(
    secured_server: FhirTestServer, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    auth = smart(secured_server, rsa_key, "RS384")
    secured_server.smart_clients["clinscribe-backend"] = pem_public(ec_key)  # key mismatch
    with FhirClient(local_config(secured_server, auth=auth)) as client:
        result = client.post_bundle(build_bundle(make_note()))
    assert (result.outcome, result.status_code) == ("permanent", 401)
    assert secured_server.count("DocumentReference") == 0


def test_without_a_token_the_server_refuses_and_delivery_fails_permanently(
    secured_server: FhirTestServer,
) -> None:
    with FhirClient(local_config(secured_server)) as client:
        result = client.post_bundle(build_bundle(make_note()))
    assert (result.outcome, result.status_code) == ("permanent", 401)


@pytest.mark.parametrize("method", ["basic", "post"])
def test_a_client_secret_gets_a_token(secured_server: FhirTestServer, method: str) -> None:
    secured_server.secret_clients["cs"] = "s3cret"
    auth = ClientSecretAuth(
        token_url=secured_server.token_url,
        client_id="cs",
        client_secret="s3cret",
        method=method,
    )
    with FhirClient(local_config(secured_server, auth=auth)) as client:
        assert client.post_bundle(build_bundle(make_note())).delivered


def test_the_password_grant_gets_a_token(secured_server: FhirTestServer) -> None:
    secured_server.users["svc-clinscribe"] = "pw"
    auth = PasswordAuth(
        token_url=secured_server.token_url,
        client_id="openemr",
        username="svc-clinscribe",
        password="pw",
    )
    with FhirClient(local_config(secured_server, auth=auth)) as client:
        assert client.post_bundle(build_bundle(make_note())).delivered
    bad = auth.model_copy(update={"password": auth.password.__class__("wrong")})
    with FhirClient(local_config(secured_server, auth=bad)) as client:
        assert client.post_bundle(build_bundle(make_note())).outcome == "permanent"


def test_a_token_url_on_a_metadata_address_is_refused(secured_server: FhirTestServer) -> None:
    auth = ClientSecretAuth(
        token_url="http://169.254.169.254/token",
        client_id="cs",
        client_secret="x",
    )
    with FhirClient(local_config(secured_server, auth=auth)) as client:
        result = client.post_bundle(build_bundle(make_note()))
    assert result.outcome == "permanent"
    assert secured_server.stats["tokens"] == 0
