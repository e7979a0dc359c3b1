"""Score clinscribe.nlp on the generalization set in bench/data/nlp_eval/ (run by hand).

    python bench/nlp_eval.py [--half tune|test|both] [--set all|1|2] [--errors]

The set (80 texts, most of them lower-case ASR-style dialogue and dictation) was written
before any rule was tuned on it and split once by a hash of the item id (see build.py there).
Rules are tuned only on errors of the tuning half; test-half figures are the results.
A second set (ids `s2-*`, 45 texts, written before the second round of rule changes with
phrasing, names and places unlike the first) joins the same halves by the same hash rule;
`--set 2` scores it alone, `--set 1` the first 80 texts alone.

Scoring, by character offsets:
- PHI: a gold span is found when a predicted span overlaps it (recall; "typed" also needs the
  same type); a predicted span is correct when it overlaps a gold span (precision).
- vitals: one-to-one on type, value (or systolic/diastolic) and unit.
- conditions: a gold mention is found when a MEDICAL_CONDITION entity overlaps it and carries
  an ICD-10-CM code in the same three-character category as the gold concept; a predicted
  condition is correct when it is such a match for some gold mention.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "bench" / "data" / "nlp_eval" / "eval.jsonl"
sys.path.insert(0, str(ROOT / "src"))


def _in_set(item_id: str, which: str) -> bool:
    second = item_id.startswith("s2-")
    return which == "all" or (which == "2") == second


def load(path: Path = EVAL_SET, half: str = "both", which: str = "all") -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [i for i in items if (half == "both" or i["split"] == half) and _in_set(i["id"], which)]


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["begin"] < b["end"] and b["begin"] < a["end"])


def _vital_equal(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if g["type"] != p["type"] or g["unit"] != p.get("unit"):
        return False
    if g["type"] == "blood_pressure":
        return bool(g["systolic"] == p.get("systolic") and g["diastolic"] == p.get("diastolic"))
    return abs(float(g["value"]) - float(p.get("value", -1e9))) < 0.051


def _same_concept(gold_code: str, entity: dict[str, Any]) -> bool:
    return any(c["code"][:3] == gold_code[:3] for c in entity.get("codes", []))


def score(items: list[dict[str, Any]]) -> dict[str, Any]:
    """PHI, vitals and condition figures (and the errors) over the given items."""
    from clinscribe.nlp.core import extract, find_phi

    gold_t: Counter[str] = Counter()
    hit_t: Counter[str] = Counter()
    typed_t: Counter[str] = Counter()
    pred_t: Counter[str] = Counter()
    ok_t: Counter[str] = Counter()
    v_gold = v_pred = v_ok = 0
    c_gold = c_pred = c_hit = c_ok = 0
    errors: list[str] = []
    for item in items:
        text = item["text"]
        pred = [s.model_dump() for s in find_phi(text)]
        for g in item["phi"]:
            gold_t[g["type"]] += 1
            hits = [p for p in pred if _overlap(g, p)]
            hit_t[g["type"]] += bool(hits)
            typed_t[g["type"]] += any(p["type"] == g["type"] for p in hits)
            if not hits:
                errors.append(f"{item['id']} PHI miss {g['type']}: {g['text']!r}")
        for p in pred:
            pred_t[p["type"]] += 1
            if any(_overlap(g, p) for g in item["phi"]):
                ok_t[p["type"]] += 1
            else:
                errors.append(f"{item['id']} PHI false {p['type']}: {p['text']!r}")
        result = extract(text).model_dump()
        remaining = list(result["vitals"])
        v_gold += len(item["vitals"])
        v_pred += len(remaining)
        for g in item["vitals"]:
            hit = next((p for p in remaining if _vital_equal(g, p)), None)
            if hit is None:
                errors.append(f"{item['id']} vital miss: {g['text']!r} {g}")
            else:
                v_ok += 1
                remaining.remove(hit)
        errors.extend(
            f"{item['id']} vital extra: {text[p['begin'] : p['end']]!r}" for p in remaining
        )
        conds = [e for e in result["entities"] if e["category"] == "MEDICAL_CONDITION"]
        c_gold += len(item["conditions"])
        c_pred += len(conds)
        for g in item["conditions"]:
            if any(_overlap(g, e) and _same_concept(g["code"], e) for e in conds):
                c_hit += 1
            else:
                got = [
                    (e["text"], [c["code"] for c in e["codes"]]) for e in conds if _overlap(g, e)
                ]
                errors.append(f"{item['id']} condition miss {g['code']}: {g['text']!r} got {got}")
        for e in conds:
            if any(_overlap(g, e) and _same_concept(g["code"], e) for g in item["conditions"]):
                c_ok += 1
            else:
                codes = [c["code"] for c in e["codes"]]
                errors.append(f"{item['id']} condition false: {e['text']!r} {codes}")
    c_p = c_ok / c_pred if c_pred else 0.0
    c_r = c_hit / c_gold if c_gold else 0.0
    return {
        "texts": len(items),
        "phi": {
            t: {
                "gold": gold_t[t],
                "pred": pred_t[t],
                "recall": hit_t[t] / gold_t[t] if gold_t[t] else None,
                "typed": typed_t[t] / gold_t[t] if gold_t[t] else None,
                "precision": ok_t[t] / pred_t[t] if pred_t[t] else None,
            }
            for t in sorted(set(gold_t) | set(pred_t))
        },
        "phi_recall": sum(hit_t.values()) / max(sum(gold_t.values()), 1),
        "phi_typed": sum(typed_t.values()) / max(sum(gold_t.values()), 1),
        "phi_precision": sum(ok_t.values()) / max(sum(pred_t.values()), 1),
        "phi_gold": sum(gold_t.values()),
        "vitals_recall": v_ok / max(v_gold, 1),
        "vitals_precision": v_ok / max(v_pred, 1),
        "vitals_gold": v_gold,
        "conditions_precision": c_p,
        "conditions_recall": c_r,
        "conditions_f1": 2 * c_p * c_r / (c_p + c_r) if c_p + c_r else 0.0,
        "conditions_gold": c_gold,
        "errors": errors,
    }


def _fmt(value: float | None) -> str:
    return "    -  " if value is None else f"{value:7.3f}"


def report(
    name: str, result: dict[str, Any], show_errors: bool = False, which: str = "all"
) -> None:
    label = {"all": "", "1": " (first set)", "2": " (second set)"}[which]
    print(f"== generalization set{label}, {name} half ({result['texts']} texts) ==")
    print(f"{'PHI type':14} {'recall':>7} {'typed':>7} {'prec':>7}  gold pred")
    for t, r in result["phi"].items():
        print(
            f"{t:14} {_fmt(r['recall'])} {_fmt(r['typed'])} {_fmt(r['precision'])}"
            f"  {r['gold']:4d} {r['pred']:4d}"
        )
    print(
        f"{'ALL':14} {result['phi_recall']:7.3f} {result['phi_typed']:7.3f} "
        f"{result['phi_precision']:7.3f}  {result['phi_gold']:4d}"
    )
    print(
        f"vitals: recall {result['vitals_recall']:.3f} precision "
        f"{result['vitals_precision']:.3f} ({result['vitals_gold']} gold)"
    )
    print(
        f"conditions: P {result['conditions_precision']:.3f} R {result['conditions_recall']:.3f}"
        f" F1 {result['conditions_f1']:.3f} ({result['conditions_gold']} gold)"
    )
    if show_errors:
        for line in result["errors"]:
            print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["tune", "test", "both"], default="both")
    parser.add_argument("--set", dest="which", choices=["all", "1", "2"], default="all")
    parser.add_argument("--errors", action="store_true", help="list the errors (tuning half!)")
    args = parser.parse_args()
    halves = ["tune", "test"] if args.half == "both" else [args.half]
    for half in halves:
        result = score(load(half=half, which=args.which))
        report(half, result, args.errors and half == "tune", args.which)


if __name__ == "__main__":
    main()
