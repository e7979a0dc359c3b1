"""Accuracy floor on a fixed subset of the generalization set's tuning half.

The set (bench/data/nlp_eval/eval.jsonl) holds lower-case ASR-style dialogue and dictation with
gold PHI spans, spoken vitals and lay-phrased conditions by character offset. The floors are the
figures recorded in docs/benchmarks.md for this subset; a drop below any of them fails. The test
half is never used here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clinscribe.nlp import core as nlp

EVAL_SET = Path(__file__).resolve().parents[3] / "bench" / "data" / "nlp_eval" / "eval.jsonl"
SUBSET = 24  # the first 24 tuning-half items by id
FLOORS = {
    "phi_recall": 0.962,  # 103/107
    "phi_precision": 1.0,
    "vitals_recall": 1.0,  # 31/31
    "vitals_precision": 1.0,
    "conditions_recall": 0.931,  # 81/87
    "conditions_precision": 0.952,
}


def _subset() -> list[dict[str, Any]]:
    items = [json.loads(line) for line in EVAL_SET.read_text().splitlines() if line.strip()]
    tuning = sorted((i for i in items if i["split"] == "tune"), key=lambda i: i["id"])
    return tuning[:SUBSET]


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["begin"] < b["end"] and b["begin"] < a["end"])


def _same_vital(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if g["type"] != p["type"] or g["unit"] != p["unit"]:
        return False
    if g["type"] == "blood_pressure":
        return bool(g["systolic"] == p.get("systolic") and g["diastolic"] == p.get("diastolic"))
    return abs(float(g["value"]) - float(p["value"])) < 0.051


def _same_concept(g: dict[str, Any], e: dict[str, Any]) -> bool:
    return _overlap(g, e) and any(c["code"][:3] == g["code"][:3] for c in e["codes"])


def _figures() -> dict[str, float]:
    counts = dict.fromkeys(
        ["phi_gold", "phi_hit", "phi_pred", "phi_ok", "v_gold", "v_pred", "v_ok"], 0
    )
    counts |= {"c_gold": 0, "c_hit": 0, "c_pred": 0, "c_ok": 0}
    for item in _subset():
        pred = [s.model_dump() for s in nlp.find_phi(item["text"])]
        counts["phi_gold"] += len(item["phi"])
        counts["phi_hit"] += sum(any(_overlap(g, p) for p in pred) for g in item["phi"])
        counts["phi_pred"] += len(pred)
        counts["phi_ok"] += sum(any(_overlap(g, p) for g in item["phi"]) for p in pred)
        result = nlp.extract(item["text"]).model_dump()
        vitals = list(result["vitals"])
        counts["v_gold"] += len(item["vitals"])
        counts["v_pred"] += len(vitals)
        for g in item["vitals"]:
            hit = next((p for p in vitals if _same_vital(g, p)), None)
            if hit is not None:
                counts["v_ok"] += 1
                vitals.remove(hit)
        conds = [e for e in result["entities"] if e["category"] == "MEDICAL_CONDITION"]
        counts["c_gold"] += len(item["conditions"])
        counts["c_pred"] += len(conds)
        counts["c_hit"] += sum(any(_same_concept(g, e) for e in conds) for g in item["conditions"])
        counts["c_ok"] += sum(any(_same_concept(g, e) for g in item["conditions"]) for e in conds)
    return {
        "phi_recall": counts["phi_hit"] / counts["phi_gold"],
        "phi_precision": counts["phi_ok"] / counts["phi_pred"],
        "vitals_recall": counts["v_ok"] / counts["v_gold"],
        "vitals_precision": counts["v_ok"] / counts["v_pred"],
        "conditions_recall": counts["c_hit"] / counts["c_gold"],
        "conditions_precision": counts["c_ok"] / counts["c_pred"],
    }


@pytest.mark.accuracy
def test_generalization_subset_meets_recorded_floors() -> None:
    subset = _subset()
    assert len(subset) == SUBSET
    assert sum(len(i["phi"]) for i in subset) >= 90  # enough spans for the floor to mean something
    figures = _figures()
    below = {k: round(v, 3) for k, v in figures.items() if v < FLOORS[k]}
    assert not below, f"below the recorded floor: {below} (floors {FLOORS})"
