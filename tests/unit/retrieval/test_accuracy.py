"""Accuracy floor: the gold page in the top 5 on the retrieval set kept in the repository."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clinscribe.documents.core.pages import PageText
from clinscribe.retrieval import core

SET = Path(__file__).resolve().parents[3] / "bench" / "data" / "records_search.json"
# Recorded with bench/records_search.py (see docs/benchmarks.md); a drop fails the test.
PER_PATIENT_FLOOR = 1.0
POOLED_FLOOR = 0.95


def _top5(
    model: core.MiniLmEmbedder, chunks: list[core.Chunk], vectors: object, question: str
) -> set[tuple[str, int]]:
    lexical = core.bm25_scores(question, [c.text for c in chunks])
    cosine = core.cosine_scores(model.embed_one(question), vectors)  # type: ignore[arg-type]
    ranked = core.hybrid_rank(lexical, [float(x) for x in cosine], 5)
    return {(chunks[r.index].document_id, chunks[r.index].page) for r in ranked}


@pytest.mark.accuracy
def test_gold_page_in_top5(embedder: core.MiniLmEmbedder) -> None:
    data = json.loads(SET.read_text())
    by_patient: dict[str, list[core.Chunk]] = {}
    for patient in data["patients"]:
        for doc in patient["documents"]:
            pages = [
                PageText(number=i, text=t, source="plain_text")
                for i, t in enumerate(doc["pages"], 1)
            ]
            by_patient.setdefault(patient["key"], []).extend(core.chunk_pages(doc["id"], pages))
    vectors = {k: embedder.embed([c.text for c in v]) for k, v in by_patient.items()}
    pooled = [c for v in by_patient.values() for c in v]
    pooled_vectors = np.concatenate(list(vectors.values()))
    own = pooled_hits = 0
    for q in data["questions"]:
        gold = (q["file"], q["page"])
        own += gold in _top5(
            embedder, by_patient[q["patient"]], vectors[q["patient"]], q["question"]
        )
        pooled_hits += gold in _top5(embedder, pooled, pooled_vectors, q["question"])
    n = len(data["questions"])
    assert n >= 40
    assert own / n >= PER_PATIENT_FLOOR
    assert pooled_hits / n >= POOLED_FLOOR
