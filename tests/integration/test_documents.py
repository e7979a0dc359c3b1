"""Documents on each server database (PostgreSQL, MariaDB) and the real RabbitMQ: upload, a
`clinscribe worker` claims the job row and extracts, the results read back sealed at rest, and
a delete leaves nothing behind."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from tests.integration.conftest import RABBIT_URL
from tests.integration.test_jobs_rabbitmq import job, start_worker, wait_until
from tests.support import TenantWorld, build_tenant
from tests.unit.documents import samples


@pytest.fixture
def rabbit(db_settings: Settings) -> Settings:
    return db_settings.model_copy(
        update={"broker": "rabbitmq", "broker_url": RABBIT_URL, "job_resend_seconds": 3.0}
    )


@pytest.fixture
def worker(rabbit: Settings) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_worker(rabbit)
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


def _upload(client: TestClient, world: TenantWorld, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/api/v1/patients/{world.patient_id}/documents",
        headers=world.auth("clinician"),
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def test_documents_are_extracted_by_a_worker_sealed_at_rest_and_erased(
    rabbit: Settings, worker: subprocess.Popen[bytes]
) -> None:
    world, other = build_tenant(rabbit), build_tenant(rabbit)
    headers = world.auth("clinician")
    with TestClient(create_app(rabbit, start_worker=False)) as client:
        report = _upload(client, world, "labs.pdf", samples.text_pdf([samples.LAB_LINES]))
        letter = _upload(client, world, "letter.txt", samples.LETTER.encode())
        for accepted in (report, letter):
            job_id = accepted["job"]["id"]
            wait_until(
                lambda j=job_id: job(client, world, j)["status"] in ("succeeded", "dead"),
                180,
                "extraction",
            )
            assert job(client, world, job_id)["status"] == "succeeded"
        labs = client.get(
            f"/api/v1/patients/{world.patient_id}/documents/labs", headers=headers
        ).json()
        glucose = [o for o in labs["observations"] if o["value"] == 7.9]
        assert glucose and glucose[0]["flag"] == "H"
        assert labs["trends"]
        doc_id = report["document"]["id"]
        assert (
            client.get(f"/api/v1/documents/{doc_id}", headers=other.auth("admin")).status_code
            == 404
        )
        with session_scope(rabbit.resolved_database_url) as session:
            stored = session.execute(
                text("SELECT text FROM document_pages WHERE document_id = :d"), {"d": doc_id}
            ).scalar_one()
            assert "Glucose" not in stored
        assert client.delete(f"/api/v1/documents/{doc_id}", headers=headers).status_code == 204
        with session_scope(rabbit.resolved_database_url) as session:
            for table in ("document_pages", "lab_observations"):
                left = session.execute(
                    text(f"SELECT count(*) FROM {table} WHERE document_id = :d"),
                    {"d": doc_id},
                ).scalar_one()
                assert left == 0
        assert not [p for p in rabbit.blob_dir.rglob("*") if doc_id in p.as_posix()]
