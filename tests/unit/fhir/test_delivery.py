"""Signed notes reach the EHR exactly once through the outbox, faults and all."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import Delivery, Patient
from clinscribe.db.session import session_scope
from tests.fhir_server import Fault, FhirTestServer
from tests.support import TenantWorld, add_note, configure_ehr

SYSTEM = "urn:oid:2.16.840.1.113883.3.1"


def seed_patient(server: FhirTestServer, settings: Settings, world: TenantWorld) -> None:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.execute(select(Patient).where(Patient.tenant_id == world.id)).scalars()
        mrns = [patient.mrn for patient in rows]
    for mrn in mrns:
        server.seed({"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": mrn}]})


def encounter_seeder(server: FhirTestServer):  # type: ignore[no-untyped-def]
    def seed(encounter_id: str) -> None:
        server.seed(
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "identifier": [{"system": "urn:clinscribe:encounter", "value": encounter_id}],
            }
        )

    return seed


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "delivery_base_delay": 0.05,
            "delivery_max_delay": 0.2,
            "delivery_timeout": 0.4,
            "delivery_max_attempts": 12,
            "job_stale_seconds": 5.0,
        }
    )


@pytest.fixture
def worker(fast: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(fast, start_worker=True)) as client:
        yield client


def wait_until(predicate, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def statuses(settings: Settings) -> list[str]:
    with session_scope(settings.resolved_database_url) as session:
        return list(session.execute(select(Delivery.status)).scalars())


def test_a_signed_note_is_delivered_and_its_bundle_downloadable(
    worker: TestClient, fast: Settings, tenant_a: TenantWorld
) -> None:
    with FhirTestServer(commit_delay=0.7) as server:
        configure_ehr(fast, tenant_a, server.base_url)
        note_id, _ = add_note(fast, tenant_a, tenant_a.encounter_id, "approved")
        seed_patient(server, fast, tenant_a)
        encounter_seeder(server)(tenant_a.encounter_id)
        signed = worker.post(f"/api/v1/notes/{note_id}/sign", headers=tenant_a.auth("clinician"))
        assert signed.status_code == 200
        wait_until(lambda: statuses(fast) == ["delivered"])
        assert server.count("DocumentReference") == 1 and server.count("Composition") == 1
        deliveries = worker.get(
            f"/api/v1/notes/{note_id}/deliveries", headers=tenant_a.auth("reviewer")
        ).json()
        assert deliveries[0]["status"] == "delivered" and deliveries[0]["attempts"] >= 1
        note = worker.get(f"/api/v1/notes/{note_id}", headers=tenant_a.auth("reviewer")).json()
        assert note["delivery_status"] == "delivered"
        bundle = worker.get(
            f"/api/v1/notes/{note_id}/fhir", headers=tenant_a.auth("reviewer")
        ).json()
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        # Sending it again is harmless: conditional creates find what is already there.
        again = worker.post(f"/api/v1/notes/{note_id}/deliver", headers=tenant_a.auth("reviewer"))
        assert again.status_code == 202
        assert server.count("DocumentReference") == 1


def test_faults_never_duplicate_and_unknown_patients_dead_letter_then_replay(
    worker: TestClient, fast: Settings, tenant_a: TenantWorld
) -> None:
    rng = random.Random(7)
    faults: tuple[Fault, ...] = (
        "error_500",
        "rate_limit",
        "timeout_after_commit",
        "drop_after_commit",
    )

    def pick() -> Fault | None:
        return rng.choice(faults) if rng.random() < 0.3 else None

    with FhirTestServer(fault_picker=pick, retry_after="0", commit_delay=0.7) as server:
        configure_ehr(fast, tenant_a, server.base_url)
        seed = encounter_seeder(server)
        notes = []
        for _ in range(12):
            note_id, _ = add_note(fast, tenant_a, tenant_a.encounter_id, "approved")
            notes.append(note_id)
        seed(tenant_a.encounter_id)
        # The EHR does not know the patient yet: every delivery is refused permanently.
        for note_id in notes[:2]:
            worker.post(f"/api/v1/notes/{note_id}/sign", headers=tenant_a.auth("clinician"))
        wait_until(lambda: sorted(statuses(fast)) == ["dead", "dead"])
        letters = worker.get("/api/v1/admin/dead-letters", headers=tenant_a.auth("admin")).json()
        assert len(letters) == 2 and letters[0]["delivery"]["status_code"] == 400
        assert letters[0]["delivery"]["operation_outcome"]["resourceType"] == "OperationOutcome"
        seed_patient(server, fast, tenant_a)
        for letter in letters:
            replayed = worker.post(
                f"/api/v1/admin/dead-letters/{letter['job_id']}/replay",
                headers=tenant_a.auth("admin"),
            )
            assert replayed.status_code == 200
        for note_id in notes[2:]:
            worker.post(f"/api/v1/notes/{note_id}/sign", headers=tenant_a.auth("clinician"))
        wait_until(lambda: statuses(fast).count("delivered") == len(notes), timeout=120)
        assert server.count("DocumentReference") == len(notes)
        assert server.stats  # faults were really injected
