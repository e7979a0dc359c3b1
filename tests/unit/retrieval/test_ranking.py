from __future__ import annotations

import numpy as np
import pytest

from clinscribe.retrieval.core import (
    bm25_scores,
    cosine_scores,
    hybrid_rank,
    lexical_terms,
    reciprocal_rank_fusion,
)


def test_terms_keep_numbers_and_drop_stop_words() -> None:
    assert lexical_terms("What was her HbA1c of 6.1 %?") == ["hba1c", "6.1"]


def test_bm25_prefers_the_rarer_matching_term() -> None:
    docs = ["glucose 5.2 mmol/L", "glucose 6.1 creatinine 88", "potassium 4.1", "sodium 140"]
    scores = bm25_scores("creatinine glucose", docs)
    assert scores[1] > scores[0] > 0
    assert scores[2] == scores[3] == 0
    assert bm25_scores("the of", docs) == [0.0] * 4
    assert bm25_scores("glucose", []) == []


def test_cosine_of_unit_vectors() -> None:
    rows = np.eye(3, dtype=np.float32)
    query = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    assert cosine_scores(query, rows).tolist() == pytest.approx([0.6, 0.8, 0.0])
    assert cosine_scores(query, np.zeros((0, 3), dtype=np.float32)).size == 0


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 2]])
    assert max(fused, key=lambda i: fused[i]) == 1
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)


def test_hybrid_rank_takes_lexical_and_vector_evidence() -> None:
    lexical = [0.0, 3.0, 0.0, 1.0]
    vector = [0.9, 0.05, 0.1, 0.8]
    top = hybrid_rank(lexical, vector, 2)
    assert [r.index for r in top] == [3, 1]  # both rankings place 3 high
    assert top[0].lexical == 1.0 and top[0].vector == pytest.approx(0.8)
    assert len(hybrid_rank(lexical, vector, 10)) == 4
    with pytest.raises(ValueError):
        hybrid_rank([1.0], [1.0, 2.0], 1)
