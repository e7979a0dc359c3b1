"""Benchmark document extraction: lab values, letters, text-layer and OCR speed, memory.

    python bench/records.py [DATASET_DIR ...] [--split tune|test|all] [--speed] [--json OUT]

DATASET_DIR holds a gold.json in the shape of the records development set (default:
../shared/datasets/records-dev relative to the repository root); sets written by
bench/records_synth.py carry a per-patient `split` and are filtered by --split (the dev set has
none and is always scored whole). --speed adds text-layer pages/s and peak memory on a
generated 300-page PDF (measured in a child process) and OCR pages/min on the set's scans.

Scoring (as the dev set's README suggests): a gold lab matches a predicted one of the same
file with value within 1e-6, the same UCUM unit and the LOINC code - strict: the gold `loinc`;
lenient: any of `loinc_accept`. On scans and photos, a miss is "flagged" when a prediction of
the same analyte is marked low-confidence, "absent" when there is none, and "confident wrong"
otherwise (the target is zero). Letters: a medication matches on name, dose, frequency and
status (case, spaces and commas folded); allergies on substance; problems on word overlap.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "datasets" / "records-dev"
sys.path.insert(0, str(ROOT / "src"))

from clinscribe.documents.core.extract import ExtractLimits, extract_pages  # noqa: E402
from clinscribe.documents.core.facts import analyse_document  # noqa: E402
from clinscribe.documents.core.labs import LabResult  # noqa: E402


def _fold(text: str | None) -> str:
    return re.sub(r"[\s,]+", " ", (text or "").lower().replace(",", "")).strip()


def score_labs(
    gold: list[dict[str, Any]], pred: list[LabResult], tally: Counter[str], scan: bool
) -> None:
    used: set[int] = set()
    for g in gold:
        tally["gold"] += 1
        strict = lenient = None
        for i, p in enumerate(pred):
            if (
                i in used
                or abs(p.value - g["value"]) > 1e-6
                or (p.ucum or None) != (g["ucum"] or None)
            ):
                continue
            if p.loinc in g["loinc_accept"]:
                lenient = lenient if lenient is not None else i
                if p.loinc == g["loinc"]:
                    strict = i
        if lenient is not None:
            used.add(lenient)
            tally["lenient"] += 1
            tally["strict"] += strict is not None
            tally["matched_low_conf"] += pred[lenient].low_confidence
            continue
        same = [p for p in pred if p.loinc in g["loinc_accept"] or p.canonical == g["canonical"]]
        if not scan:
            tally["missed"] += 1
        elif any(p.low_confidence for p in same):
            tally["flagged"] += 1
        elif same and any(abs(p.value - g["value"]) > 1e-6 for p in same):
            tally["confident_wrong"] += 1
        else:
            tally["absent"] += 1
    tally["predicted"] += len(pred)
    tally["extra"] += len(pred) - len(used)


def _med_key(m: dict[str, Any]) -> tuple[str, str, str, str]:
    name = _fold(m.get("name")).split(" ")[0].split("/")[0]
    return name, _fold(m.get("dose")), _fold(m.get("frequency")), m.get("status") or ""


def score_letter(doc: dict[str, Any], facts: Any, tally: Counter[str]) -> None:
    pred = [
        _med_key({"name": m.name, "dose": m.dose, "frequency": m.frequency, "status": m.status})
        for m in facts.medications
    ]
    for g in doc["medications"]:
        tally["med_gold"] += 1
        key = _med_key(g)
        tally["med_name"] += any(p[0] == key[0] for p in pred)
        tally["med_exact"] += key in pred
    tally["med_pred"] += len(pred)
    subs = [_fold(a.substance) for a in facts.allergies]
    for g in doc["allergies"]:
        tally["allergy_gold"] += 1
        tally["allergy_ok"] += any(
            _fold(g["substance"]) in s or s in _fold(g["substance"]) for s in subs
        )
    for g in doc["problems"]:
        tally["problem_gold"] += 1
        words = set(re.findall(r"[a-z0-9]+", g["text"].lower()))
        tally["problem_ok"] += any(
            len(words & set(re.findall(r"[a-z0-9]+", p.text.lower()))) >= 0.5 * len(words)
            for p in facts.problems
        )


def evaluate(
    root: Path, split: str, tallies: dict[str, Counter[str]], timing: Counter[str]
) -> None:
    gold = json.loads((root / "gold.json").read_text())
    splits = {p["key"]: p.get("split") for p in gold["patients"]}
    for doc in gold["documents"]:
        if split != "all" and splits.get(doc["patient"]) not in (None, split):
            continue
        data = (root / doc["file"]).read_bytes()
        start = time.perf_counter()
        pages = extract_pages(data)
        elapsed = time.perf_counter() - start
        kind = "text" if doc["format"] == "pdf_text" else "scan"
        timing[f"{kind}_pages"] += len(pages)
        timing[f"{kind}_seconds"] += elapsed  # type: ignore[assignment]
        facts = analyse_document(pages, document_id=doc["file"])
        score_labs(doc["labs"], facts.labs, tallies[kind], scan=kind == "scan")
        if doc["medications"] or doc["allergies"]:
            letter = facts.letter
            if letter is not None:
                score_letter(doc, letter, tallies["letters"])
            else:
                tallies["letters"]["not_classified_as_letter"] += 1


def big_pdf(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for row in range(40):
            pdf.cell(
                0,
                6,
                f"Sodium {130 + (n + row) % 15} mmol/L 135 - 145 page {n + 1} row {row}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())


def speed_child() -> None:
    import resource

    data = big_pdf(300)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    count = 0
    from clinscribe.documents.core.extract import iter_pages

    for _page in iter_pages(data, limits=ExtractLimits(ocr=False)):
        count += 1
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "pages": count,
                "seconds": elapsed,
                "pdf_bytes": len(data),
                "rss_before_mb": before / 1024,
                "rss_peak_mb": after / 1024,
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path)
    parser.add_argument("--split", choices=["tune", "test", "all"], default="test")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--speed-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.speed_child:
        speed_child()
        return 0
    roots = args.datasets or [DEV]
    for root in roots:
        if not (root / "gold.json").is_file():
            print(f"error: no gold.json in {root}", file=sys.stderr)
            return 2
    tallies: dict[str, Counter[str]] = {"text": Counter(), "scan": Counter(), "letters": Counter()}
    timing: Counter[str] = Counter()
    for root in roots:
        evaluate(root, args.split, tallies, timing)
    report: dict[str, Any] = {"datasets": [str(r) for r in roots], "split": args.split}
    for kind in ("text", "scan"):
        t = tallies[kind]
        n = max(t["gold"], 1)
        report[kind] = {
            "gold": t["gold"],
            "strict": round(t["strict"] / n, 4),
            "lenient": round(t["lenient"] / n, 4),
            **{
                k: t[k]
                for k in (
                    "missed",
                    "flagged",
                    "absent",
                    "confident_wrong",
                    "extra",
                    "matched_low_conf",
                )
            },
        }
    lt = tallies["letters"]
    report["letters"] = {
        "medications": lt["med_gold"],
        "med_exact": round(lt["med_exact"] / max(lt["med_gold"], 1), 4),
        "med_name": round(lt["med_name"] / max(lt["med_gold"], 1), 4),
        "med_predicted": lt["med_pred"],
        "allergies": round(lt["allergy_ok"] / max(lt["allergy_gold"], 1), 4),
        "problems": round(lt["problem_ok"] / max(lt["problem_gold"], 1), 4),
        "not_classified_as_letter": lt["not_classified_as_letter"],
    }
    if timing["scan_pages"]:
        report["ocr_pages_per_min"] = round(60 * timing["scan_pages"] / timing["scan_seconds"], 1)
    if timing["text_pages"]:
        report["text_pages_per_s_small_docs"] = round(
            timing["text_pages"] / timing["text_seconds"], 1
        )
    if args.speed:
        out = subprocess.run(
            [sys.executable, __file__, "--speed-child"], capture_output=True, text=True, check=True
        )
        child = json.loads(out.stdout)
        report["text_layer_300_pages"] = {
            **child,
            "pages_per_s": round(child["pages"] / child["seconds"], 1),
        }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
