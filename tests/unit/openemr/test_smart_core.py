"""The pure parts of SMART launch and the OpenEMR role map."""

from __future__ import annotations

import base64
import hashlib
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from clinscribe.openemr.core import roles, smart
from clinscribe.openemr.core.smart import SmartLaunchFailed

GOOD = {
    "issuer": "https://emr.example/oauth2/default",
    "authorization_endpoint": "https://emr.example/oauth2/default/authorize",
    "token_endpoint": "https://emr.example/oauth2/default/token",
    "jwks_uri": "https://emr.example/oauth2/default/jwk",
    "code_challenge_methods_supported": ["S256"],
}


def test_a_discovery_document_without_s256_or_an_endpoint_is_refused_as_502() -> None:
    assert smart.parse_configuration(GOOD).token_endpoint.endswith("/token")
    for bad in (
        [],
        {**GOOD, "code_challenge_methods_supported": ["plain"]},
        {k: v for k, v in GOOD.items() if k != "token_endpoint"},
        {**GOOD, "token_endpoint": "javascript:alert(1)"},
        {**GOOD, "issuer": 7},
        {**GOOD, "code_challenge_methods_supported": "S256"},
    ):
        with pytest.raises(SmartLaunchFailed) as caught:
            smart.parse_configuration(bad)
        assert (caught.value.reason, caught.value.status_code) == ("discovery", 502)


def test_a_smart_v1_document_is_completed_from_openid_discovery() -> None:
    v1 = {k: GOOD[k] for k in ("authorization_endpoint", "token_endpoint")}
    config = smart.parse_configuration(v1)
    assert (config.issuer, config.jwks_uri) == (None, None)
    assert config.openid_base == "https://emr.example/oauth2/default"
    done = smart.with_openid(config, {"issuer": GOOD["issuer"], "jwks_uri": GOOD["jwks_uri"]})
    assert (done.issuer, done.jwks_uri) == (GOOD["issuer"], GOOD["jwks_uri"])
    for bad in ({}, {"issuer": GOOD["issuer"]}, {"issuer": "x", "jwks_uri": "y"}, []):
        with pytest.raises(SmartLaunchFailed):
            smart.with_openid(config, bad)


def test_the_authorize_url_carries_every_launch_parameter_and_an_s256_challenge() -> None:
    config = smart.parse_configuration(GOOD)
    url = smart.authorize_url(
        config,
        client_id="c",
        redirect_uri="https://cs.example/smart/callback",
        state="st",
        nonce="n",
        verifier="v" * 50,
        iss="https://emr.example/apis/default/fhir",
        launch="L1",
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    digest = hashlib.sha256(b"v" * 50).digest()
    assert query == {
        "response_type": "code",
        "client_id": "c",
        "redirect_uri": "https://cs.example/smart/callback",
        "scope": "launch openid fhirUser patient/*.read",
        "state": "st",
        "nonce": "n",
        "aud": "https://emr.example/apis/default/fhir",
        "launch": "L1",
        "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }


def test_fhir_ids_must_be_uuids_and_may_be_references() -> None:
    value = uuid.uuid4()
    assert smart.fhir_uuid(str(value), "patient") == value.bytes
    assert smart.fhir_uuid(f"https://emr/fhir/Patient/{value}", "patient") == value.bytes
    for bad in (None, "", "42", 42, "Patient/not-a-uuid"):
        with pytest.raises(SmartLaunchFailed) as caught:
            smart.fhir_uuid(bad, "patient")
        assert (caught.value.reason, caught.value.status_code) == ("context", 400)


def test_oauth_errors_are_reduced_to_a_safe_code() -> None:
    assert smart.oauth_error("access_denied") == "access_denied"
    assert smart.oauth_error("<script>x</script>") == "scriptxscript"
    assert smart.oauth_error(None) == "no_code"
    assert smart.normalize_iss(" https://emr/fhir/ ") == "https://emr/fhir"


def test_the_role_map_prefers_a_named_account_then_authorized_and_round_trips() -> None:
    assert roles.loads(None).role_for(username="x", authorized=True) == "clinician"
    assert roles.loads(None).role_for(username="x", authorized=False) == "reviewer"
    custom = roles.RoleMap(authorized="reviewer", default="clinician", users={"boss": "admin"})
    again = roles.loads(roles.dumps(custom))
    assert again == custom
    assert again.role_for(username="boss", authorized=False) == "admin"
    assert again.role_for(username="Boss", authorized=False) == "clinician"  # exact names
    with pytest.raises(ValueError, match="unknown role"):
        roles.loads('{"authorized": "root"}')


def test_the_placement_query_reads_the_ledger_table_the_bridge_writes() -> None:
    from clinscribe.openemr import overview
    from clinscribe.openemr.core.schema import LEDGER_TABLE

    assert f"FROM `{LEDGER_TABLE}`" in str(overview._LEDGER)
