"""Search and Client Health Reports on each server database: the database's full-text index
(PostgreSQL tsvector, MariaDB FULLTEXT) plus numpy cosine."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.retrieval import service, vectors
from tests.support import TenantWorld
from tests.unit.reports.conftest import store_records
from tests.unit.retrieval.conftest import pages_of, store_document

LETTER = """Plan: start rosuvastatin 10 mg once daily.

Allergies: penicillin (hives).
"""


def _full_text_rows(session: Session, server: str) -> int:
    """How many chunks the database's own full-text index finds (not a Python fallback)."""
    if server == "postgresql":
        sql = "SELECT count(*) FROM retrieval_chunks WHERE terms_tsv IS NOT NULL"
    else:
        # Every chunk's terms start with 'h'; a prefix search needs the FULLTEXT index to exist.
        sql = (
            "SELECT count(*) FROM retrieval_chunks "
            "WHERE MATCH(terms) AGAINST ('h*' IN BOOLEAN MODE)"
        )
    return int(session.execute(text(sql)).scalar_one())


def test_search_and_reports(
    db_server: str,
    db_client: TestClient,
    db_settings: Settings,
    db_a: TenantWorld,
    db_b: TenantWorld,
) -> None:
    world = db_a
    labs = store_document(db_settings, world, pages_of("GLUCOSE 112 H mg/dL 70-99"))
    letter = store_document(db_settings, world, pages_of("Cover page", LETTER))
    with session_scope(db_settings.resolved_database_url) as session:
        vectors.forget_detection()
        assert vectors.detect(session) == "numpy"  # no pgvector in this database
        assert _full_text_rows(session, db_server) >= 2
    headers = world.auth("clinician")
    url = f"/api/v1/patients/{world.patient_id}/search"
    r = db_client.post(url, json={"query": "rosuvastatin dose", "k": 2}, headers=headers)
    assert r.status_code == 200, r.text
    top = r.json()["results"][0]
    assert (top["document_id"], top["page"]) == (letter, 2) and top["lexical_score"] > 0
    r = db_client.post(url, json={"query": "glucose", "k": 1}, headers=headers)
    assert r.json()["results"][0]["document_id"] == labs
    assert db_client.post(url, json={"query": " "}, headers=headers).status_code == 422
    other = db_client.post(url, json={"query": "statin"}, headers=db_b.auth("clinician"))
    assert other.status_code == 404
    with session_scope(db_settings.resolved_database_url) as session:
        assert service.forget_document(session, letter) >= 1
    store_records(db_settings, world)
    r = db_client.post(f"/api/v1/patients/{world.patient_id}/reports", headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["content"]["faithfulness"]["share"] == 1.0
