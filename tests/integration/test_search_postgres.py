"""Search and Client Health Reports on PostgreSQL: tsvector full-text plus numpy cosine."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.retrieval import service, vectors
from tests.support import TenantWorld
from tests.unit.reports.conftest import store_records
from tests.unit.retrieval.conftest import pages_of, store_document

LETTER = """Plan: start rosuvastatin 10 mg once daily.

Allergies: penicillin (hives).
"""


def test_search_and_reports_on_postgres(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld, pg_b: TenantWorld
) -> None:
    world = pg_a
    labs = store_document(pg_settings, world, pages_of("GLUCOSE 112 H mg/dL 70-99"))
    letter = store_document(pg_settings, world, pages_of("Cover page", LETTER))
    with session_scope(pg_settings.resolved_database_url) as session:
        vectors.forget_detection()
        assert vectors.detect(session) == "numpy"  # no pgvector in this database
        tsv = session.execute(
            text("SELECT count(*) FROM retrieval_chunks WHERE terms_tsv IS NOT NULL")
        ).scalar_one()
        assert tsv >= 2
    headers = world.auth("clinician")
    url = f"/api/v1/patients/{world.patient_id}/search"
    r = pg_client.post(url, json={"query": "rosuvastatin dose", "k": 2}, headers=headers)
    assert r.status_code == 200, r.text
    top = r.json()["results"][0]
    assert (top["document_id"], top["page"]) == (letter, 2) and top["lexical_score"] > 0
    r = pg_client.post(url, json={"query": "glucose", "k": 1}, headers=headers)
    assert r.json()["results"][0]["document_id"] == labs
    assert pg_client.post(url, json={"query": " "}, headers=headers).status_code == 422
    other = pg_client.post(url, json={"query": "statin"}, headers=pg_b.auth("clinician"))
    assert other.status_code == 404
    with session_scope(pg_settings.resolved_database_url) as session:
        assert service.forget_document(session, letter) >= 1
    store_records(pg_settings, world)
    r = pg_client.post(f"/api/v1/patients/{world.patient_id}/reports", headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["content"]["faithfulness"]["share"] == 1.0
