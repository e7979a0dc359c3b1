"""Drug interaction checks: time per full check of a 20-drug list, and known-pair recall.

Checks 20 medications (190 pairs, each as drug-drug and duplicate-therapy, plus 2 allergies
against every drug) repeatedly and reports the median and p95 time per full check. Recall is
measured on bench/data/interactions/known_pairs.jsonl (well-known pairs from public references,
written before the table), split by sha256(id) % 2 into a tuning half (0) and a test half (1).

    python bench/interactions.py [--repeat 200] [--source curated]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

from clinscribe.config import Settings
from clinscribe.interactions.checks import checker_from_settings
from clinscribe.interactions.core.checker import InteractionChecker
from clinscribe.interactions.core.curated import example_pairs
from clinscribe.interactions.core.model import FindingKind

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ROOT / "bench" / "data" / "interactions" / "known_pairs.jsonl"
# A realistic polypharmacy list, brands and doses mixed in, as a record would hold it.
MEDICATIONS = [
    "Coumadin 5 mg",
    "lisinopril 20 mg daily",
    "spironolactone",
    "Zocor 40 mg",
    "clarithromycin",
    "metformin 1000 mg",
    "Zoloft",
    "tramadol 50 mg",
    "ibuprofen",
    "omeprazole 20 mg",
    "clopidogrel",
    "amlodipine",
    "digoxin",
    "furosemide 40 mg",
    "alprazolam",
    "oxycodone",
    "levothyroxine",
    "atorvastatin",
    "ondansetron",
    "allopurinol",
]
ALLERGIES = ["penicillin", "sulfa"]


def half(item_id: str) -> str:
    return "tune" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def recall(checker: InteractionChecker) -> dict[str, tuple[int, int, list[str]]]:
    """Per half: found, total, and the ids (with drugs) the source lacks."""
    out: dict[str, tuple[int, int, list[str]]] = {}
    for line in KNOWN.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        result = checker.check([item["a"], item["b"]])
        hit = any(f.kind is FindingKind.DRUG_DRUG for f in result.findings)
        found, total, missed = out.get(half(item["id"]), (0, 0, []))
        if not hit:
            missed = [*missed, f"{item['id']} {item['a']} + {item['b']}"]
        out[half(item["id"])] = (found + int(hit), total + 1, missed)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--source", default="curated")
    args = parser.parse_args()
    started = time.perf_counter()
    checker = checker_from_settings(Settings(interactions_source=args.source))
    checker.check(["warfarin"])  # loads the drug lexicon once, as a long-lived service would
    load = time.perf_counter() - started
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = checker.check(MEDICATIONS, ALLERGIES)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    by_kind: dict[str, int] = {}
    for f in result.findings:
        by_kind[f.kind.value] = by_kind.get(f.kind.value, 0) + 1
    print(f"source: {checker.source.info.name} {checker.source.info.version}")
    print(f"load (lexicon + source): {load:.2f} s")
    print(
        f"20 drugs, {len(MEDICATIONS) * 19 // 2} pairs, {result.pairs_checked} comparisons: "
        f"median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms over {args.repeat} runs"
    )
    print(f"findings: {len(result.findings)} {by_kind}; unresolved: {result.unresolved}")
    if checker.source.info.name == "clinscribe-curated":
        examples = example_pairs()
        fired = sum(
            any(f.mechanism == rule.mechanism for f in checker.check([a, b]).findings)
            for a, b, rule in examples
        )
        print(f"table rules found for a concrete pair: {fired}/{len(examples)}")
    for name, (found, total, missed) in sorted(recall(checker).items()):
        print(f"recall {name} half: {found}/{total} = {found / total:.3f}")
        for item in missed:
            print(f"  missing: {item}")


if __name__ == "__main__":
    main()
