from __future__ import annotations

import numpy as np
import pytest

from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.errors import NotFound
from clinscribe.retrieval import core, service, vectors
from tests.unit.retrieval.conftest import pages_of


def test_pgvector_only_with_extension_and_column_on_postgresql() -> None:
    assert vectors.choose_backend("postgresql", True, True) == "pgvector"
    assert vectors.choose_backend("postgresql", True, False) == "numpy"
    assert vectors.choose_backend("postgresql", False, True) == "numpy"
    assert vectors.choose_backend("sqlite", True, True) == "numpy"


def test_sqlite_is_detected_as_numpy(settings: Settings) -> None:
    vectors.forget_detection()
    with session_scope(settings.resolved_database_url) as session:
        assert vectors.detect(session) == "numpy"


def test_blobs_round_trip_and_pgvector_text() -> None:
    matrix = np.array([[0.25, -0.5], [1.0, 0.0]], dtype=np.float32)
    blobs = [vectors.to_blob(row) for row in matrix]
    assert all(len(b) == 8 for b in blobs)
    assert np.array_equal(vectors.from_blobs(blobs, 2), matrix)
    assert vectors.from_blobs([], 2).shape == (0, 2)
    assert vectors.pgvector_literal(matrix[0]) == "[0.25,-0.5]"


def test_indexing_an_unknown_document_is_not_found(
    settings: Settings, embedder: core.MiniLmEmbedder
) -> None:
    with session_scope(settings.resolved_database_url) as session, pytest.raises(NotFound):
        service.index_document(session, "no-such-document", pages_of("x"), model=embedder)
