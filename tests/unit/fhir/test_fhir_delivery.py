"""Posting bundles to the test FHIR server: conditional creates and outcome classification."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from clinscribe.fhir.core import (
    EndpointConfig,
    FhirClient,
    RetryPolicy,
    backoff_delay,
    build_bundle,
    classify,
    deliver,
    parse_retry_after,
)
from tests.fhir_server import FhirTestServer
from tests.unit.fhir.conftest import make_note


def test_a_first_delivery_creates_every_resource_and_records_the_locations(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    bundle = build_bundle(make_note())
    result = fhir_client.post_bundle(bundle)
    assert result.outcome == "success"
    assert result.status_code == 200
    assert len(result.locations) == len(bundle["entry"])
    assert result.locations[0].startswith("DocumentReference/")
    (doc,) = fhir_server.resources["DocumentReference"].values()
    assert result.resource_ids[0] == f"DocumentReference/{doc['id']}"
    assert fhir_server.count("DocumentReference") == 1
    assert fhir_server.count("Observation") == 9


def test_references_resolve_to_the_seeded_patient_and_the_created_document(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    fhir_client.post_bundle(build_bundle(make_note()))
    (patient,) = fhir_server.resources["Patient"].values()
    (doc,) = fhir_server.resources["DocumentReference"].values()
    (prov,) = fhir_server.resources["Provenance"].values()
    assert doc["subject"]["reference"] == f"Patient/{patient['id']}"
    assert prov["target"][0]["reference"] == f"DocumentReference/{doc['id']}"
    for obs in fhir_server.resources["Observation"].values():
        assert obs["derivedFrom"][0]["reference"] == f"DocumentReference/{doc['id']}"


def test_redelivering_the_same_version_matches_instead_of_duplicating(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    bundle = build_bundle(make_note())
    first = fhir_client.post_bundle(bundle)
    created = fhir_server.stats["created"]
    second = fhir_client.post_bundle(bundle)
    assert second.outcome == "success"
    assert second.locations == first.locations
    assert fhir_server.stats["created"] == created
    assert fhir_server.count("DocumentReference") == 1
    assert fhir_server.count("Provenance") == 1


def test_an_amendment_adds_a_new_document_that_replaces_the_first(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    fhir_client.post_bundle(build_bundle(make_note()))
    assert fhir_client.post_bundle(build_bundle(make_note(version=2))).outcome == "success"
    docs = sorted(fhir_server.resources["DocumentReference"].values(), key=lambda d: d["docStatus"])
    assert [d["docStatus"] for d in docs] == ["amended", "final"]
    assert docs[0]["relatesTo"][0]["target"]["identifier"] == docs[1]["identifier"][0]


def test_an_unknown_patient_fails_permanently_with_the_servers_operation_outcome(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    result = fhir_client.post_bundle(build_bundle(make_note(mrn="MRN-UNKNOWN")))
    assert result.outcome == "permanent"
    assert result.status_code == 400
    assert result.operation_outcome is not None
    assert result.operation_outcome["resourceType"] == "OperationOutcome"
    assert fhir_server.count("DocumentReference") == 0  # atomic: nothing committed


def test_an_invalid_resource_is_a_permanent_failure(fhir_client: FhirClient) -> None:
    bundle = build_bundle(make_note())
    del bundle["entry"][2]["resource"]["code"]
    assert fhir_client.post_bundle(bundle).outcome == "permanent"


def test_a_server_error_before_commit_is_retryable(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    fhir_server.faults.append("error_500")
    result = fhir_client.post_bundle(build_bundle(make_note()))
    assert (result.outcome, result.status_code) == ("retryable", 500)
    assert fhir_server.count("DocumentReference") == 0


def test_rate_limiting_is_retryable_and_its_retry_after_is_parsed(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    fhir_server.retry_after = "7"
    fhir_server.faults.append("rate_limit")
    result = fhir_client.post_bundle(build_bundle(make_note()))
    assert (result.outcome, result.status_code, result.retry_after) == ("retryable", 429, 7.0)


@pytest.mark.parametrize("fault", ["timeout_after_commit", "drop_after_commit"])
def test_a_response_lost_after_commit_is_retryable_and_the_retry_does_not_duplicate(
    fhir_server: FhirTestServer, fhir_client: FhirClient, fault: str
) -> None:
    bundle = build_bundle(make_note())
    fhir_server.faults.append(fault)  # type: ignore[arg-type]
    lost = fhir_client.post_bundle(bundle)
    assert lost.outcome == "retryable"
    expected = "timeout" if fault.startswith("timeout") else "transport"
    assert lost.reason.startswith(expected)
    assert fhir_server.count("DocumentReference") == 1  # the trap: it did commit
    assert fhir_client.post_bundle(bundle).outcome == "success"
    assert fhir_server.count("DocumentReference") == 1
    assert fhir_server.count("Observation") == 9


def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = EndpointConfig(
        base_url=f"http://127.0.0.1:{port}/fhir", prod=False, allow_loopback=True, timeout=0.5
    )
    with FhirClient(config) as client:
        result = client.post_bundle(build_bundle(make_note()))
    assert result.outcome == "retryable"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "success"),
        (201, "success"),
        (302, "permanent"),
        (400, "permanent"),
        (401, "permanent"),
        (404, "permanent"),
        (408, "retryable"),
        (409, "permanent"),
        (412, "permanent"),
        (422, "permanent"),
        (429, "retryable"),
        (500, "retryable"),
        (501, "permanent"),
        (502, "retryable"),
        (503, "retryable"),
        (504, "retryable"),
    ],
)
def test_statuses_are_classified(status: int, outcome: str) -> None:
    assert classify(httpx.Response(status)).outcome == outcome


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    rng = random.Random(1)
    for attempt in range(1, 8):
        delays = [backoff_delay(attempt, policy, rng=rng) for _ in range(50)]
        assert max(delays) <= min(10.0, 2 ** (attempt - 1))
        assert len(set(delays)) > 1
    assert backoff_delay(1, policy, retry_after=42.0, rng=rng) == 42.0
    assert backoff_delay(1, RetryPolicy(max_retry_after=5), retry_after=42.0) == 5.0


def test_deliver_retries_until_success_and_counts_attempts(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    fhir_server.retry_after = "0"
    fhir_server.faults.extend(["error_500", "rate_limit", "drop_after_commit"])
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0.001, max_delay=0.01)
    result = deliver(fhir_client, build_bundle(make_note()), policy, sleep=sleeps.append)
    assert (result.outcome, result.attempts, len(sleeps)) == ("success", 4, 3)
    assert fhir_server.count("DocumentReference") == 1


def test_deliver_gives_up_after_max_attempts_and_marks_the_result_exhausted(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    fhir_server.faults.extend(["error_500"] * 3)
    policy = RetryPolicy(max_attempts=3, base_delay=0.0)
    result = deliver(fhir_client, build_bundle(make_note()), policy, sleep=lambda _: None)
    assert (result.outcome, result.attempts, result.exhausted) == ("retryable", 3, True)


def test_deliver_stops_at_a_permanent_failure(fhir_client: FhirClient) -> None:
    note = make_note(encounter="ENC-UNKNOWN")
    result = deliver(fhir_client, build_bundle(note), RetryPolicy(), sleep=lambda _: None)
    assert (result.outcome, result.attempts) == ("permanent", 1)


def test_the_server_can_be_searched_by_identifier(
    fhir_server: FhirTestServer, fhir_client: FhirClient
) -> None:
    bundle = build_bundle(make_note())
    fhir_client.post_bundle(bundle)
    ident = bundle["entry"][0]["resource"]["identifier"][0]
    response = httpx.get(
        f"{fhir_server.base_url}/DocumentReference",
        params={"identifier": f"{ident['system']}|{ident['value']}"},
    )
    assert len(response.json()["entry"]) == 1
