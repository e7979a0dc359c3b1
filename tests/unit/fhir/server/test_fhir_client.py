"""An independent FHIR client (fhirpy) against the read API over real HTTP: it reads the
CapabilityStatement, searches with prefixes, follows paging links, reads by reference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fhirpy import SyncFHIRClient

from tests.live import live_server
from tests.unit.fhir.server.conftest import FhirEnv, validate


@pytest.fixture(scope="module")
def fhir(env: FhirEnv) -> Iterator[SyncFHIRClient]:
    with live_server(env.settings) as base:
        yield SyncFHIRClient(
            f"{base}/fhir/R4",
            authorization=f"Bearer {env.a.tokens['clinician']}",
            extra_headers={"Accept": "application/fhir+json"},
        )


def test_the_client_follows_every_page_of_a_search(env: FhirEnv, fhir: SyncFHIRClient) -> None:
    search = fhir.resources("Observation").search(patient=env.ids["patient1"]).limit(2)
    resources = search.fetch_all()
    names = {"hr_jan", "hr_feb", "glucose", "sbp_nye", "smoking", "lab_creat", "lab_sodium"}
    assert sorted(r.id for r in resources) == sorted(env.ids[n] for n in names)
    assert search.fetch_raw()["total"] == 7
    for resource in resources:
        validate(resource.serialize())


def test_the_client_searches_with_date_prefixes_and_tokens(
    env: FhirEnv, fhir: SyncFHIRClient
) -> None:
    found = (
        fhir.resources("Observation")
        .search(patient=env.ids["patient1"], code="http://loinc.org|8867-4", date__ge="2024-02")
        .fetch_all()
    )
    assert [r.id for r in found] == [env.ids["hr_feb"]]
    window = fhir.resources("Observation").search(date__gt="2024-01", date__lt="2024-03")
    assert {r.id for r in window.fetch_all()} == {env.ids["hr_feb"], env.ids["glucose"]}


def test_the_client_reads_by_reference_and_resolves_the_subject(
    env: FhirEnv, fhir: SyncFHIRClient
) -> None:
    condition = fhir.reference("Condition", env.ids["htn"]).to_resource()
    assert condition["code"]["coding"][0]["code"] == "I10"
    patient = fhir.reference(reference=condition["subject"]["reference"]).to_resource()
    assert patient.id == env.ids["patient1"]
    validate(patient.serialize())


def test_the_client_reads_the_capability_statement(fhir: SyncFHIRClient) -> None:
    statement = fhir.execute("metadata", method="get")
    validate(statement)
    assert {"Observation", "MedicationRequest", "Consent"} <= {
        r["type"] for r in statement["rest"][0]["resource"]
    }
