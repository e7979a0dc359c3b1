from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clinscribe.retrieval.core import EMBEDDING_DIM, MiniLmEmbedder
from clinscribe.retrieval.core.embedder import EmbedderUnavailable


def test_vectors_are_unit_length_and_semantic(embedder: MiniLmEmbedder) -> None:
    texts = [
        "The patient takes metformin 500 mg twice daily.",
        "Metformin dose is 500 mg BID.",
        "The weather in the mountains was sunny all week.",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, EMBEDDING_DIM) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.6
    assert sims[0, 2] < 0.2


def test_batching_does_not_change_vectors(embedder: MiniLmEmbedder) -> None:
    texts = [f"Serum creatinine {i} umol/L" + " and more" * (i % 7) for i in range(11)]
    together = embedder.embed(texts, batch_size=4)
    alone = np.stack([embedder.embed_one(t) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert embedder.embed([]).shape == (0, EMBEDDING_DIM)


def test_long_text_is_truncated_not_refused(embedder: MiniLmEmbedder) -> None:
    vector = embedder.embed_one("glucose " * 5000)
    assert np.isfinite(vector).all()


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="not found"):
        MiniLmEmbedder(tmp_path / "absent.onnx")


def test_token_sorted_small_batches_give_the_vectors_stored_by_large_ones(
    embedder: MiniLmEmbedder,
) -> None:
    # Vectors already stored were embedded in batches of 32; the batch size is a speed choice
    # only, so the index needs no re-embedding (and `model_id` stays the same).
    texts = [("Potassium 4.1 mmol/L. " * (1 + i % 9)) + f"Visit {i}." for i in range(40)]
    ids = embedder.token_ids(texts)
    assert len({len(t) for t in ids}) > 5  # the batches really mix lengths
    large = np.concatenate([embedder.embed_token_ids(ids[i : i + 32]) for i in (0, 32)])
    for size in (1, 4, 7):
        assert np.allclose(embedder.embed(texts, batch_size=size), large, atol=1e-5)
    with pytest.raises(ValueError, match="batch_size"):
        embedder.embed(texts, batch_size=0)
