"""The outbound URL policy refuses what could reach metadata services or internal hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from clinscribe.fhir.core import (
    EndpointConfig,
    FhirClient,
    UnsafeUrlError,
    UrlPolicy,
    build_bundle,
    validate_outbound_url,
)
from tests.unit.fhir.conftest import make_note

PROD = UrlPolicy()
DEV = UrlPolicy(require_https=False, allow_loopback=True)


def resolves_to(*addresses: str) -> Callable[[str, int], Iterable[str]]:
    def resolver(host: str, port: int) -> Iterable[str]:
        return addresses

    return resolver


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://169.254.0.1/fhir",
        "https://[fd00:ec2::254]/latest/",
        "https://[fe80::1]/fhir",
        "https://[fe80::1%25eth0]/fhir",
        "https://[::ffff:169.254.169.254]/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
        "https://2852039166/",  # 169.254.169.254 as one decimal number
        "https://0xA9FEA9FE/",  # and in hex
        "https://100.100.100.200/latest/meta-data/",
        "https://0.0.0.0/",
    ],
)
def test_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        validate_outbound_url(url, DEV, resolver=None)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ehr.example.org/",
        "gopher://ehr.example.org/",
        "ehr.example.org",
    ],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        validate_outbound_url(url, DEV, resolver=None)


def test_https_is_required_in_production() -> None:
    with pytest.raises(UnsafeUrlError, match="https"):
        validate_outbound_url("http://ehr.example.org/fhir", PROD, resolver=None)
    assert validate_outbound_url("https://ehr.example.org/fhir", PROD, resolver=None)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/fhir", "http://localhost/fhir", "http://[::1]/fhir"]
)
def test_loopback_is_allowed_only_when_explicitly_permitted(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="loopback"):
        validate_outbound_url(url, UrlPolicy(require_https=False), resolver=None)
    assert validate_outbound_url(url, DEV, resolver=None) == url


def test_a_host_name_that_resolves_to_a_metadata_address_is_refused() -> None:
    with pytest.raises(UnsafeUrlError):
        validate_outbound_url(
            "https://ehr.example.org/fhir",
            PROD,
            resolver=resolves_to("10.0.0.5", "169.254.169.254"),
        )
    with pytest.raises(UnsafeUrlError, match="loopback"):
        validate_outbound_url("https://ehr.example.org/", PROD, resolver=resolves_to("127.0.0.1"))


def test_private_networks_are_allowed_unless_the_policy_says_otherwise() -> None:
    url = "https://10.1.2.3/fhir"
    assert validate_outbound_url(url, PROD, resolver=None) == url
    with pytest.raises(UnsafeUrlError, match="private"):
        validate_outbound_url(url, UrlPolicy(allow_private=False), resolver=None)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(UnsafeUrlError, match="credentials"):
        validate_outbound_url("https://user:pw@ehr.example.org/", PROD, resolver=None)


def test_an_endpoint_with_an_unsafe_base_url_cannot_be_configured() -> None:
    with pytest.raises(UnsafeUrlError):
        FhirClient(EndpointConfig(base_url="http://169.254.169.254/fhir", prod=False))
    with pytest.raises(UnsafeUrlError):
        FhirClient(EndpointConfig(base_url="http://ehr.example.org/fhir"))


def test_a_host_that_turns_unsafe_after_configuration_fails_delivery_permanently() -> None:
    config = EndpointConfig(base_url="https://ehr.example.org/fhir")
    with FhirClient(config, resolver=resolves_to("169.254.169.254")) as client:
        result = client.post_bundle(build_bundle(make_note()))
    assert result.outcome == "permanent"
    assert "metadata" in result.reason
