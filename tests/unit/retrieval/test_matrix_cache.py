"""The per-process vector cache never serves a patient's old chunks after index or forget."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.retrieval import core, matrix_cache, service
from tests.support import TenantWorld
from tests.unit.retrieval.conftest import pages_of, store_document

STATIN = "Plan: start rosuvastatin 10 mg once daily for hyperlipidaemia."
INHALER = "Tiotropium inhaler 18 mcg once daily was added for COPD."
THYROID = "Levothyroxine 75 mcg daily; TSH to be repeated in six weeks."


def _documents(settings: Settings, world: TenantWorld, query: str) -> set[str]:
    with session_scope(settings.resolved_database_url) as session:
        found = service.search(
            session=session,
            principal=world.principal("clinician"),
            patient_id=world.patient_id,
            query=query,
            k=50,
        )
        return {h.document_id for h in found.results}


def test_search_reuses_the_cached_matrix_until_the_index_changes(
    settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    matrix_cache.clear()
    statin = store_document(settings, tenant_a, pages_of(STATIN), model=embedder)
    assert _documents(settings, tenant_a, "statin dose") == {statin}
    (first,) = matrix_cache.snapshot().values()
    assert _documents(settings, tenant_a, "statin dose") == {statin}
    (again,) = matrix_cache.snapshot().values()
    assert again is first  # no change to the index: the same entry, not reloaded

    # index -> the next search sees the new chunks
    inhaler = store_document(settings, tenant_a, pages_of(INHALER), model=embedder)
    assert _documents(settings, tenant_a, "inhaler") == {statin, inhaler}

    # forget -> gone from the next search
    with session_scope(settings.resolved_database_url) as session:
        assert service.forget_document(session, statin) >= 1
    assert _documents(settings, tenant_a, "statin dose") == {inhaler}


def test_changes_made_elsewhere_are_seen_despite_a_stale_entry(
    settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    # Another process (the extraction worker, another API worker) changes the index without
    # touching this process's cache: the index version in the key must still move on.
    matrix_cache.clear()
    statin = store_document(settings, tenant_a, pages_of(STATIN), model=embedder)
    assert _documents(settings, tenant_a, "statin") == {statin}
    stale = matrix_cache.snapshot()
    thyroid = store_document(settings, tenant_a, pages_of(THYROID), model=embedder)
    for key, entry in stale.items():
        matrix_cache.put(key, entry)
    assert _documents(settings, tenant_a, "thyroid") == {statin, thyroid}

    stale = matrix_cache.snapshot()
    with session_scope(settings.resolved_database_url) as session:
        # A patient or document erase deletes the row; the cascade takes the chunks.
        session.execute(text("DELETE FROM documents WHERE id = :d"), {"d": thyroid})
    for key, entry in stale.items():
        matrix_cache.put(key, entry)
    assert _documents(settings, tenant_a, "thyroid") == {statin}


def test_a_stale_entry_under_the_current_version_is_reloaded(
    settings: Settings, tenant_a: TenantWorld, embedder: core.MiniLmEmbedder
) -> None:
    # Even if the version failed to move (clock steps back on another host), a search whose
    # top chunks are gone reloads instead of failing or returning them.
    matrix_cache.clear()
    statin = store_document(settings, tenant_a, pages_of(STATIN), model=embedder)
    thyroid = store_document(settings, tenant_a, pages_of(THYROID), model=embedder)
    assert _documents(settings, tenant_a, "thyroid") == {statin, thyroid}
    (stale,) = matrix_cache.snapshot().values()
    with session_scope(settings.resolved_database_url) as session:
        session.execute(text("DELETE FROM documents WHERE id = :d"), {"d": thyroid})
    matrix_cache.clear()
    assert _documents(settings, tenant_a, "thyroid") == {statin}
    (current_key,) = matrix_cache.snapshot()
    matrix_cache.put(current_key, stale)
    assert _documents(settings, tenant_a, "thyroid") == {statin}
    (entry,) = matrix_cache.snapshot().values()
    assert len(entry.ids) < len(stale.ids)


def test_the_cache_is_bounded() -> None:
    matrix_cache.clear()
    entry = matrix_cache.PatientMatrix.build([], np.zeros((0, core.EMBEDDING_DIM), np.float32))
    for i in range(matrix_cache.MAX_ENTRIES + 5):
        matrix_cache.put(("db", "t", f"p{i}", 0), entry)
    assert matrix_cache.size() == matrix_cache.MAX_ENTRIES
    assert ("db", "t", "p0", 0) not in matrix_cache.snapshot()
    matrix_cache.invalidate("t", f"p{matrix_cache.MAX_ENTRIES + 4}")
    assert matrix_cache.size() == matrix_cache.MAX_ENTRIES - 1
