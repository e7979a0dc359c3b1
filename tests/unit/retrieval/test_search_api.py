from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, RetrievalChunk
from clinscribe.db.session import session_scope
from clinscribe.retrieval import core, service
from tests.support import TenantWorld, add_patient_and_encounter
from tests.unit.retrieval.conftest import pages_of, store_document

LAB_PAGE = """CEDAR HOLLOW CLINICAL LABS
Collected: 04 Mar 2025

TEST              RESULT   FLAG  UNITS   REFERENCE
GLUCOSE, FASTING  112      H     mg/dL   70-99
HEMOGLOBIN A1c    6.1      H     %       <5.7
CREATININE        0.91           mg/dL   0.57-1.00
TSH               2.4            mIU/L   0.45-4.5
"""
LETTER_PAGE = """Dear Dr Okafor,

I reviewed Ms Example today for her thyroid nodules.

Plan: start rosuvastatin 10 mg once daily. Discontinue biotin 5,000 mcg daily because it
interferes with thyroid immunoassays.

Allergies: penicillin (hives).
"""


def _search(client: TestClient, world: TenantWorld, query: object, k: object = 5) -> object:
    return client.post(
        f"/api/v1/patients/{world.patient_id}/search",
        json={"query": query, "k": k},
        headers=world.auth("clinician"),
    )


def test_search_ranks_the_page_that_answers(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    labs = store_document(settings, tenant_a, pages_of(LAB_PAGE), model=embedder)
    letter = store_document(settings, tenant_a, pages_of("Cover sheet", LETTER_PAGE))
    r = _search(client, tenant_a, "Which statin was started and at what dose?")
    assert r.status_code == 200, r.text
    body = r.json()
    top = body["results"][0]
    assert (top["document_id"], top["page"]) == (letter, 2)
    assert "rosuvastatin 10 mg" in top["text"]
    assert body["vector_backend"] == "numpy"
    r = _search(client, tenant_a, "fasting glucose", k=1)
    (hit,) = r.json()["results"]
    assert hit["document_id"] == labs and hit["lexical_score"] > 0
    assert LAB_PAGE[hit["begin"] : hit["end"]] == hit["text"]
    scores = [h["score"] for h in _search(client, tenant_a, "thyroid").json()["results"]]
    assert scores == sorted(scores, reverse=True)
    with session_scope(settings.resolved_database_url) as session:
        actions = session.execute(
            select(AuditEvent.action).where(AuditEvent.object_id == tenant_a.patient_id)
        ).scalars()
        assert "patient.search" in set(actions)


def test_bad_requests_are_422(client: TestClient, tenant_a: TenantWorld) -> None:
    bad: list[tuple[object, object]] = [("", 5), ("   ", 5), ("x", 0), ("x", 51), (None, 5)]
    # `k` is a count: a JSON boolean, a string or a fraction is refused, not coerced.
    bad += [("x", "many"), ("x", True), ("x", False), ("x", "5"), ("x", 2.5)]
    for query, k in bad:
        r = _search(client, tenant_a, query, k)
        assert r.status_code == 422, (query, k, r.text)
    r = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/search",
        json={"query": "x", "k": 3, "extra": 1},
        headers=tenant_a.auth("clinician"),
    )
    assert r.status_code == 422
    r = client.post(f"/api/v1/patients/{tenant_a.patient_id}/search", json={"query": "x"})
    assert r.status_code == 401


def test_a_patient_without_documents_gets_no_results(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    r = _search(client, tenant_a, "anything at all")
    assert r.status_code == 200 and r.json()["results"] == []


def test_search_is_tenant_and_patient_scoped(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    embedder: core.MiniLmEmbedder,
) -> None:
    store_document(settings, tenant_a, pages_of(LETTER_PAGE), model=embedder)
    other_patient, _ = add_patient_and_encounter(settings, tenant_a)
    theirs = store_document(
        settings, tenant_a, pages_of("rosuvastatin 40 mg"), patient_id=other_patient
    )
    r = _search(client, tenant_a, "rosuvastatin dose", k=50)
    assert r.status_code == 200
    assert theirs not in {h["document_id"] for h in r.json()["results"]}
    # Another tenant cannot search (or learn of) this patient.
    r = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/search",
        json={"query": "rosuvastatin"},
        headers=tenant_b.auth("clinician"),
    )
    assert r.status_code == 404


def test_forget_and_reindex_replace_chunks(
    settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    doc = store_document(settings, tenant_a, pages_of(LAB_PAGE, LETTER_PAGE), model=embedder)
    url = settings.resolved_database_url
    with session_scope(url) as session:
        count = session.execute(
            select(func.count())
            .select_from(RetrievalChunk)
            .where(RetrievalChunk.document_id == doc)
        ).scalar_one()
        assert count >= 2
        # Re-indexing replaces rather than duplicates.
        assert service.index_document(session, doc, pages_of(LETTER_PAGE), model=embedder) >= 1
        fts = session.execute(
            text(
                "SELECT count(*) FROM retrieval_chunks_fts WHERE chunk_id IN "
                "(SELECT id FROM retrieval_chunks WHERE document_id = :d)"
            ),
            {"d": doc},
        ).scalar_one()
        rows = (
            session.execute(select(RetrievalChunk).where(RetrievalChunk.document_id == doc))
            .scalars()
            .all()
        )
        assert fts == len(rows) and {r.page for r in rows} == {1}
        assert service.forget_document(session, doc) == len(rows)
        left = session.execute(text("SELECT count(*) FROM retrieval_chunks_fts")).scalar_one()
        assert left == 0


def test_stored_terms_and_text_hold_no_readable_words(
    settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    doc = store_document(settings, tenant_a, pages_of(LETTER_PAGE), model=embedder)
    with session_scope(settings.resolved_database_url) as session:
        raw = session.execute(
            text("SELECT text, terms FROM retrieval_chunks WHERE document_id = :d"), {"d": doc}
        ).all()
        for stored_text, terms in raw:
            assert "rosuvastatin" not in stored_text.lower()
            assert "rosuvastatin" not in terms and terms.startswith("h")


def test_erasing_a_document_row_takes_its_chunks_and_full_text_rows(
    settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    doc = store_document(settings, tenant_a, pages_of(LETTER_PAGE), model=embedder)
    with session_scope(settings.resolved_database_url) as session:
        # What a patient erase does: delete the document row; the cascade and trigger follow.
        session.execute(text("DELETE FROM documents WHERE id = :d"), {"d": doc})
        chunks = session.execute(text("SELECT count(*) FROM retrieval_chunks")).scalar_one()
        fts = session.execute(text("SELECT count(*) FROM retrieval_chunks_fts")).scalar_one()
        assert (chunks, fts) == (0, 0)
