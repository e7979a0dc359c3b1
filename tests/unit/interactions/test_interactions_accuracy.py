"""Accuracy floor: recall on well-known interacting pairs from public references.

The pairs (bench/data/interactions/known_pairs.jsonl) were written before the curated table and
split once by sha256(id) % 2; the floors are the figures recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from clinscribe.interactions.core.checker import InteractionChecker
from clinscribe.interactions.core.model import FindingKind

KNOWN = (
    Path(__file__).resolve().parents[3] / "bench" / "data" / "interactions" / "known_pairs.jsonl"
)
FLOORS = {"test": 1.0, "tune": 1.0}


def _half(item_id: str) -> str:
    return "tune" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


@pytest.mark.accuracy
def test_known_pair_recall_holds_its_floor(checker: InteractionChecker) -> None:
    items = [json.loads(line) for line in KNOWN.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 40
    found: dict[str, list[bool]] = {"test": [], "tune": []}
    missed = []
    for item in items:
        result = checker.check([item["a"], item["b"]])
        assert result.unresolved == [], item["id"]
        hit = any(f.kind is FindingKind.DRUG_DRUG for f in result.findings)
        found[_half(item["id"])].append(hit)
        if not hit:
            missed.append(item["id"])
    for half, hits in found.items():
        assert sum(hits) / len(hits) >= FLOORS[half], (half, missed)
