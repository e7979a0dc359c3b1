"""Benchmark the clinical NLP package on the development sets (run by hand).

    python bench/nlp.py [NLP_DEV.jsonl] [PHI_DEV.jsonl] [--aci DIR] [--eval-errors]

Defaults: ../shared/datasets/dev/{nlp_dev,phi_dev}.jsonl relative to the repository root
and ../shared/datasets/aci-bench for throughput on real dialogues (ACI-Bench: Yim et al.,
Scientific Data 10:586, 2023, CC BY 4.0).

Also scores the generalization set bench/data/nlp_eval/ (tuning and test halves reported
apart; see bench/nlp_eval.py).

Scoring: entities match on category and overlapping text (case-insensitive), one to one;
traits are scored on matched entities; medication attributes exactly after lower-casing and
dropping dots; vitals on type, value(s) and unit; PHI on overlapping text.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import nlp_eval  # noqa: E402  (the generalization-set scorer beside this script)

TRAITS = ["NEGATION", "SYMPTOM", "SIGN", "DIAGNOSIS", "HYPOTHETICAL", "HISTORICAL"]
TRAITS += ["FAMILY_HISTORY", "UNCERTAIN"]
ATTRS = ["dosage", "route", "frequency", "duration"]


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle.lower()), text.lower())] or [
        (-1, -1)
    ]


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def match(
    text: str, gold: list[dict[str, Any]], pred: list[dict[str, Any]], key: str
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """One-to-one matching of gold and predicted items on `key` and overlapping text."""
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    used: set[int] = set()
    for g in gold:
        spans = occurrences(text, g["text"])
        found = None
        for i, p in enumerate(pred):
            if i in used or (key and p[key] != g[key]):
                continue
            if any(overlaps(s, (p["begin"], p["end"])) for s in spans):
                found = i
                break
        if found is None:
            pairs.append((g, None))
        else:
            used.add(found)
            pairs.append((g, pred[found]))
    # Gold lists each distinct mention once: repeats of a matched text are not false positives.
    matched = {(p[key] if key else "", p["text"].lower()) for _, p in pairs if p is not None}
    pairs.extend(
        (None, p)
        for i, p in enumerate(pred)
        if i not in used and ((p[key] if key else "", p["text"].lower())) not in matched
    )
    return pairs


def norm(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "").lower().replace(".", "")).strip()


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def vital_equal(g: dict[str, Any], p: dict[str, Any]) -> bool:
    if g["type"] != p["type"] or g.get("unit") != p.get("unit"):
        return False
    if g["type"] == "blood_pressure":
        return bool(g["systolic"] == p.get("systolic") and g["diastolic"] == p.get("diastolic"))
    return abs(float(g["value"]) - float(p.get("value", -1e9))) < 0.051


def bench_nlp(items: list[dict[str, Any]]) -> None:
    from clinscribe.nlp.core import extract

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    trait_ok: Counter[str] = Counter()
    trait_n = 0
    attr_ok: Counter[str] = Counter()
    attr_n: Counter[str] = Counter()
    attr_spurious: Counter[str] = Counter()
    vit_exact = vit_gold = vit_pred = 0
    for item in items:
        result = extract(item["text"]).model_dump()
        pairs = match(item["text"], item["entities"], result["entities"], "category")
        for g, p in pairs:
            cat = (g or p or {}).get("category", "?")
            if g and p:
                counts[cat]["tp"] += 1
                trait_n += 1
                for t in TRAITS:
                    trait_ok[t] += (t in g.get("traits", [])) == (t in p["traits"])
                if cat == "MEDICATION":
                    gattr = g.get("attributes") or {}
                    pattr = p.get("attributes") or {}
                    for a in ATTRS:
                        if gattr.get(a):
                            attr_n[a] += 1
                            attr_ok[a] += norm(gattr[a]) == norm(pattr.get(a))
                        elif pattr.get(a):
                            attr_spurious[a] += 1
            elif g:
                counts[cat]["fn"] += 1
            else:
                counts[cat]["fp"] += 1
        vit_gold += len(item.get("vitals", []))
        vit_pred += len(result["vitals"])
        remaining = list(result["vitals"])
        for g in item.get("vitals", []):
            hit = next((p for p in remaining if vital_equal(g, p)), None)
            if hit is not None:
                vit_exact += 1
                remaining.remove(hit)
    print(f"== entities ({len(items)} texts) ==")
    print(f"{'category':28} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn")
    total = Counter[str]()
    for cat in sorted(counts):
        c = counts[cat]
        total.update(c)
        prec, rec, f1 = prf(c["tp"], c["fp"], c["fn"])
        print(f"{cat:28} {prec:6.3f} {rec:6.3f} {f1:6.3f} {c['tp']:4d}{c['fp']:4d}{c['fn']:4d}")
    prec, rec, f1 = prf(total["tp"], total["fp"], total["fn"])
    print(f"{'ALL (micro)':28} {prec:6.3f} {rec:6.3f} {f1:6.3f}")
    print(f"== traits (accuracy over {trait_n} matched entities) ==")
    for t in TRAITS:
        print(f"{t:28} {trait_ok[t] / max(trait_n, 1):6.3f}")
    print("== medication attributes (exact after normalisation) ==")
    for a in ATTRS:
        acc = attr_ok[a] / attr_n[a] if attr_n[a] else float("nan")
        print(f"{a:28} {acc:6.3f}  ({attr_ok[a]}/{attr_n[a]}; spurious {attr_spurious[a]})")
    all_ok, all_n = sum(attr_ok.values()), sum(attr_n.values())
    print(f"{'all attributes':28} {all_ok / max(all_n, 1):6.3f}  ({all_ok}/{all_n})")
    print("== vitals ==")
    print(
        f"exact {vit_exact}/{vit_gold} = {vit_exact / max(vit_gold, 1):.3f}; predicted {vit_pred}"
    )


def bench_phi(items: list[dict[str, Any]]) -> None:
    from clinscribe.nlp.core import find_phi

    gold_by_type: Counter[str] = Counter()
    hit_by_type: Counter[str] = Counter()
    typed_by_type: Counter[str] = Counter()
    pred_by_type: Counter[str] = Counter()
    ok_by_type: Counter[str] = Counter()
    misses: list[str] = []
    false_pos: list[str] = []
    for item in items:
        text = item["text"]
        pred = [s.model_dump() for s in find_phi(text)]
        gold_spans = [(g, occurrences(text, g["text"])) for g in item["phi"]]
        for g, spans in gold_spans:
            gold_by_type[g["type"]] += 1
            hits = [p for p in pred if any(overlaps(s, (p["begin"], p["end"])) for s in spans)]
            if hits:
                hit_by_type[g["type"]] += 1
                typed_by_type[g["type"]] += any(p["type"] == g["type"] for p in hits)
            else:
                misses.append(f"{g['type']}:{g['text']!r}")
        for p in pred:
            pred_by_type[p["type"]] += 1
            if any(overlaps(s, (p["begin"], p["end"])) for _, spans in gold_spans for s in spans):
                ok_by_type[p["type"]] += 1
            else:
                false_pos.append(f"{p['type']}:{p['text']!r}")
    print(f"== PHI ({len(items)} texts; overlap match) ==")
    print(f"{'type':14} {'recall':>7} {'typed':>7} {'prec':>7}  gold pred")
    for t in sorted(set(gold_by_type) | set(pred_by_type)):
        rec = hit_by_type[t] / gold_by_type[t] if gold_by_type[t] else float("nan")
        typed = typed_by_type[t] / gold_by_type[t] if gold_by_type[t] else float("nan")
        prec = ok_by_type[t] / pred_by_type[t] if pred_by_type[t] else float("nan")
        print(
            f"{t:14} {rec:7.3f} {typed:7.3f} {prec:7.3f}  {gold_by_type[t]:4d} {pred_by_type[t]:4d}"
        )
    n_gold, n_hit = sum(gold_by_type.values()), sum(hit_by_type.values())
    n_pred, n_ok = sum(pred_by_type.values()), sum(ok_by_type.values())
    print(
        f"{'ALL':14} {n_hit / max(n_gold, 1):7.3f} "
        f"{sum(typed_by_type.values()) / max(n_gold, 1):7.3f} "
        f"{n_ok / max(n_pred, 1):7.3f}  {n_gold:4d} {n_pred:4d}"
    )
    print(f"missed: {misses}")
    print(f"false positives: {false_pos}")


def aci_texts(folder: Path) -> list[str]:
    texts: list[str] = []
    for name in ("valid.csv", "clinicalnlp_taskB_test1.csv"):
        path = folder / "challenge_data" / name
        if path.exists():
            with path.open(newline="") as fh:
                texts.extend(row["dialogue"] for row in csv.DictReader(fh))
    return texts


def bench_speed(texts: list[str]) -> None:
    from clinscribe.nlp.core import extract, split_sentences

    chars = sum(len(t) for t in texts)
    start = time.perf_counter()
    for text in texts:
        extract(text)
    elapsed = time.perf_counter() - start
    print("== throughput (extract, no PHI, one core) ==")
    print(f"{len(texts)} texts, {chars} chars in {elapsed:.2f} s = {chars / elapsed:,.0f} chars/s")
    lengths = [len(s.text.split()) for t in texts for s in split_sentences(t)]
    if lengths:
        print(
            f"segmentation: {len(lengths)} sentences, {len(lengths) / (chars / 1000):.1f} per "
            f"1k chars, max {max(lengths)} words"
        )


LARGE_TARGET_SECONDS = 10.0


def bench_large() -> None:
    """One ~100k-character dialogue in one call: the unit tests check the result, this the time."""
    from clinscribe.nlp.core import extract

    turn = (
        "[doctor] any chest pain or shortness of breath\n[patient] no\n"
        "[doctor] are you taking the metformin five hundred milligrams twice a day\n"
        "[patient] yes and my blood pressure was one thirty over eighty\n"
    )
    text = turn * 500
    start = time.perf_counter()
    extract(text)
    elapsed = time.perf_counter() - start
    verdict = "met" if elapsed < LARGE_TARGET_SECONDS else "MISSED"
    print("== one large dialogue (extract, one core) ==")
    print(
        f"{len(text)} chars in {elapsed:.2f} s (target < {LARGE_TARGET_SECONDS:.0f} s: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nlp_dev", nargs="?", default=DATASETS / "dev" / "nlp_dev.jsonl", type=Path)
    parser.add_argument("phi_dev", nargs="?", default=DATASETS / "dev" / "phi_dev.jsonl", type=Path)
    parser.add_argument("--aci", default=DATASETS / "aci-bench", type=Path)
    parser.add_argument(
        "--eval-errors", action="store_true", help="list generalization-set tuning-half errors"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    t0 = time.perf_counter()
    from clinscribe.nlp import core as nlp

    nlp.warm_up(phi=False)
    t1 = time.perf_counter()
    nlp.warm_up(phi=True)
    t2 = time.perf_counter()
    print(f"start-up: extraction {t1 - t0:.2f} s, PHI engine +{t2 - t1:.2f} s")
    nlp_items = load_jsonl(args.nlp_dev)
    bench_nlp(nlp_items)
    bench_phi(load_jsonl(args.phi_dev))
    for half in ("tune", "test"):
        nlp_eval.report(half, nlp_eval.score(nlp_eval.load(half=half)), args.eval_errors)
    texts = aci_texts(args.aci) or [i["text"] for i in nlp_items]
    bench_speed(texts)
    bench_large()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (max RSS)")


if __name__ == "__main__":
    main()
