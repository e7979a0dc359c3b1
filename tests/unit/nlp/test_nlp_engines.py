"""The NLP engine provider: engines chosen by settings, for jobs and the API alike."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import ExtractionRecord, Job
from clinscribe.db.session import session_scope
from clinscribe.errors import ConfigError
from clinscribe.jobs import queue as workqueue
from clinscribe.nlp.core import NlpEngineConfig, NlpEngineProvider
from clinscribe.nlp.core.engine import register_context_engine
from clinscribe.recordings import service as recordings
from clinscribe.tasks import setup_jobs
from tests.fakes import FakeContextEngine, FakePhiEngine, use_fake_nlp
from tests.support import TenantWorld


@pytest.fixture
def fakes(settings: Settings) -> tuple[Settings, FakeContextEngine, FakePhiEngine]:
    context, phi = FakeContextEngine(negated=["MEDICAL_CONDITION"]), FakePhiEngine(["Zorblax"])
    use_fake_nlp(context, phi)
    configured = settings.model_copy(
        update={"nlp_context_engine": "fake", "nlp_phi_engine": "fake"}
    )
    return configured, context, phi


def test_the_extract_task_runs_the_configured_context_engine(
    fakes: tuple[Settings, FakeContextEngine, FakePhiEngine], tenant_a: TenantWorld
) -> None:
    configured, context, _ = fakes
    rt = setup_jobs(configured)
    with session_scope(configured.resolved_database_url) as session:
        _, transcript_id = recordings.from_text(
            session=session,
            settings=configured,
            principal=tenant_a.principal("clinician"),
            encounter_id=tenant_a.encounter_id,
            text="The patient reports chest pain since Monday.",
            mode=None,
        )
        job = workqueue.create(
            session=session,
            tenant_id=tenant_a.id,
            kind="extract",
            subject_type="transcript",
            subject_id=transcript_id,
        )
        job_id = job.id
    rt.run("extract", job_id)
    with session_scope(configured.resolved_database_url) as session:
        row = session.get(Job, job_id)
        assert row is not None and row.status == "succeeded", row and row.last_error
        record = session.get(ExtractionRecord, row.result_id)
        assert record is not None
        entities = json.loads(record.extraction_json)["entities"]
    # The bundled ConText engine finds nothing negating here; the configured fake negates
    # every condition.
    pain = next(e for e in entities if e["text"] == "chest pain")
    assert "NEGATION" in pain["traits"]
    assert context.calls == 1


def test_the_deid_endpoint_uses_the_configured_phi_engine(
    fakes: tuple[Settings, FakeContextEngine, FakePhiEngine], tenant_a: TenantWorld
) -> None:
    configured, _, phi = fakes
    with TestClient(create_app(configured, start_worker=False)) as client:
        response = client.post(
            "/api/v1/nlp/deid",
            json={"text": "Zorblax came in today.", "mode": "redact"},
            headers=tenant_a.auth("clinician"),
        )
    assert response.status_code == 200, response.text
    assert response.json()["text"].startswith("[NAME] came in")
    assert phi.texts == ["Zorblax came in today."]


def test_engines_are_built_once_and_unknown_names_refused() -> None:
    built: list[FakeContextEngine] = []

    def build() -> FakeContextEngine:
        built.append(FakeContextEngine())
        return built[-1]

    register_context_engine("fake-once", build)
    provider = NlpEngineProvider(NlpEngineConfig(context="fake-once"))
    assert provider.context_engine() is provider.context_engine() is built[0]
    assert NlpEngineProvider(NlpEngineConfig(context="fake-once")).context_engine() is built[0]
    with pytest.raises(ConfigError, match="no PHI engine named 'nope'"):
        NlpEngineProvider(NlpEngineConfig(phi="nope")).phi_engine()
