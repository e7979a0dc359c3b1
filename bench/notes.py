"""Benchmark offline note drafting on ACI-Bench (run by hand).

    python bench/notes.py [--aci DIR] [--splits valid,test1,test2] [--no-asr] [--show N]

Data: ../shared/datasets/aci-bench relative to the repository root, never copied here.
ACI-Bench: Yim et al., "ACI-BENCH: a Novel Ambient Clinical Intelligence Dataset for
Benchmarking Automatic Visit Note Generation", Scientific Data 10:586, 2023 (CC BY 4.0).

Scoring follows the paper: rouge_score ROUGE-1/2/Lsum F1, no stemming, notes as they are
(newline-separated sentences), mean of per-note scores x100; test1 side by side with the
published systems in baseline_predictions/test1 (aligned by row order, as upstream does).
Section coverage is the share of the reference note's sections (headings mapped to groups
below) that the draft fills. Only the train split is learned from: the section titles and
their order in the bench template are the most common ones in the train notes.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rouge_score import rouge_scorer  # noqa: E402

from clinscribe.asr.core.schemas import Segment, Transcript  # noqa: E402
from clinscribe.notes.core import Note, Template, draft_note, validate_template  # noqa: E402

csv.field_size_limit(10_000_000)
SPLITS = {
    "train": "train.csv",
    "valid": "valid.csv",
    "test1": "clinicalnlp_taskB_test1.csv",
    "test2": "clinicalnlp_taskC_test2.csv",
}
# Reference heading → section group (ACI-Bench headings; see its README).
GROUPS: dict[str, tuple[str, ...]] = {
    "cc": ("CHIEF COMPLAINT", "CC"),
    "hpi": ("HISTORY OF PRESENT ILLNESS", "HPI"),
    "ros": ("REVIEW OF SYSTEMS", "ROS"),
    "pmh": (
        "MEDICAL HISTORY",
        "PAST HISTORY",
        "PAST MEDICAL HISTORY",
        "SURGICAL HISTORY",
        "PAST SURGICAL HISTORY",
    ),
    "meds": ("MEDICATIONS", "CURRENT MEDICATIONS"),
    "allergies": ("ALLERGIES",),
    "fh": ("FAMILY HISTORY",),
    "sh": ("SOCIAL HISTORY",),
    "exam": ("PHYSICAL EXAM", "PHYSICAL EXAMINATION", "EXAM", "VITALS", "VITALS REVIEWED"),
    "results": ("RESULTS",),
    "ap": (
        "ASSESSMENT AND PLAN",
        "ASSESSMENT + PLAN",
        "ASSESSMENT",
        "PLAN",
        "IMPRESSION",
        "INSTRUCTIONS",
    ),
}
HEADING_GROUP = {h: g for g, hs in GROUPS.items() for h in hs}
FACTS: dict[str, list[str]] = {
    "cc": ["chief_complaint"],
    "hpi": ["hpi"],
    "ros": ["ros"],
    "pmh": ["pmh"],
    "meds": ["medications"],
    "allergies": ["allergies"],
    "fh": ["family_history"],
    "sh": ["social_history"],
    "exam": ["vitals", "exam"],
    "results": ["results"],
    "ap": ["assessment", "plan"],
}
HEADING_RE = re.compile(r"^([A-Z][A-Z +&]{1,40}?)(?::|$)")
BASELINES = {
    "copy 12 doctor turns": "12_doctor_turns_clinicalnlp_taskB_test1.csv",
    "nearest train note (UMLS)": "UMLS_similarity_clinicalnlp_taskB_test1.csv",
    "BART-large (full)": "BART_large_clinicalnlp_taskB_test1_full.csv",
    "BART-xsum-samsum (division)": (
        "bart-large-xsum-samsum_clinicalnlp_taskB_test1_division_combined.csv"
    ),
    "BioBART (division)": "BioBART_clinicalnlp_taskB_test1_division_combined.csv",
    "LED (division)": "LED_clinicalnlp_taskB_test1_division_combined.csv",
    "Text-Davinci-003": "test1Text-Davinci-003_.csv",
    "ChatGPT": "test1ChatGPT_.csv",
    "GPT-4": "test1GPT-4_.csv",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def headings(note: str) -> list[str]:
    out = []
    for line in note.splitlines():
        m = HEADING_RE.match(line.strip())
        if m and m.group(1).strip() in HEADING_GROUP:
            out.append(m.group(1).strip())
    return out


def learn_template(train: list[dict[str, str]]) -> Template:
    """Section titles and order: the most common heading per group, by mean position, in train."""
    titles: dict[str, Counter[str]] = defaultdict(Counter)
    positions: dict[str, list[float]] = defaultdict(list)
    for row in train:
        found = headings(row["note"])
        for i, head in enumerate(found):
            group = HEADING_GROUP[head]
            titles[group][head] += 1
            positions[group].append(i / max(len(found) - 1, 1))
    order = sorted(GROUPS, key=lambda g: statistics.mean(positions[g] or [1.0]))
    sections = [
        {
            "key": g,
            "title": titles[g].most_common(1)[0][0].title() if titles[g] else g,
            "fact_kinds": FACTS[g],
        }
        for g in order
    ]
    return validate_template({"key": "aci_visit", "title": "ACI-Bench visit", "sections": sections})


_SPEAKERS = {"doctor": "clinician", "patient": "patient", "patient_guest": "patient"}


def transcript(dialogue: str) -> Transcript:
    """One segment per speaker turn; ASR variants put several tagged turns on one line."""
    segments = []
    for part in re.split(r"(?=\[(?:doctor|patient|patient_guest)\])", dialogue):
        m = re.match(r"^\s*\[(\w+)\]\s*(.*)$", part, re.DOTALL)
        tag, text = (m.group(1), m.group(2)) if m else ("", part)
        text = " ".join(text.split())
        if not text:
            continue
        # A companion speaking for the patient (parent, spouse) is the patient's side.
        speaker: Any = _SPEAKERS.get(tag)
        n = len(segments)
        segments.append(Segment(id=n, start=float(n), end=n + 1.0, text=text, speaker=speaker))
    return Transcript(
        text=dialogue,
        duration=float(len(segments)),
        engine="text",
        model="none",
        segments=segments,
        mode="conversation",
    )


SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=False)


def rouge(refs: list[str], preds: list[str]) -> tuple[float, float, float]:
    scores = [SCORER.score(r, p) for r, p in zip(refs, preds, strict=True)]
    return tuple(  # type: ignore[return-value]
        100 * statistics.mean(s[k].fmeasure for s in scores)
        for k in ("rouge1", "rouge2", "rougeLsum")
    )


def split_sections(note: str) -> dict[str, str]:
    """Reference note text by section group (text under each recognised heading)."""
    out: dict[str, str] = {}
    current = None
    for line in note.splitlines():
        m = HEADING_RE.match(line.strip())
        if m and m.group(1).strip() in HEADING_GROUP:
            current = HEADING_GROUP[m.group(1).strip()]
            out.setdefault(current, "")
        elif current:
            out[current] += line + "\n"
    return out


def coverage(reference: str, note: Note, missed: Counter[str]) -> float | None:
    wanted = {HEADING_GROUP[h] for h in headings(reference)}
    if not wanted:
        return None
    have = {s.key for s in note.sections if s.text.strip()}
    missed.update(wanted - have)
    return len(wanted & have) / len(wanted)


def evaluate(
    name: str, rows: list[dict[str, str]], template: Template, show: int, verbose: bool = False
) -> None:
    notes: list[Note] = []
    times: list[float] = []
    for row in rows:
        t0 = time.perf_counter()
        notes.append(draft_note(transcript(row["dialogue"]), template))
        times.append(time.perf_counter() - t0)
    refs = [r["note"] for r in rows]
    r1, r2, rl = rouge(refs, [n.text for n in notes])
    missed: Counter[str] = Counter()
    covs = [
        c for r, n in zip(refs, notes, strict=True) if (c := coverage(r, n, missed)) is not None
    ]
    total = sum(n.faithfulness.sentences for n in notes)
    ok = sum(n.faithfulness.supported for n in notes)
    times.sort()
    print(
        f"{name:<26} n={len(rows):>3}  R1 {r1:5.2f}  R2 {r2:5.2f}  RLsum {rl:5.2f}  "
        f"coverage {statistics.mean(covs):.3f}  faithful {ok / max(total, 1):.4f} ({ok}/{total})  "
        f"latency mean {statistics.mean(times):.3f}s p95 {times[int(0.95 * (len(times) - 1))]:.3f}s"
    )
    if verbose:
        print("    sections missed:", ", ".join(f"{g} {k}" for g, k in missed.most_common()))
        print(
            "    section ROUGE-1 (draft section vs reference section, notes that have it):", end=""
        )
        for group in ("hpi", "results"):
            pairs = [
                (ref_sections[group], next((s.text for s in n.sections if s.key == group), ""))
                for r, n in zip(refs, notes, strict=True)
                if group in (ref_sections := split_sections(r))
            ]
            if pairs:
                score = statistics.mean(SCORER.score(a, b)["rouge1"].fmeasure for a, b in pairs)
                print(f"  {group} {100 * score:5.2f} (n={len(pairs)})", end="")
        print()
    for note in notes[:show]:
        print(note.text, "\n" + "-" * 60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--aci", type=Path, default=ROOT.parent / "shared" / "datasets" / "aci-bench"
    )
    parser.add_argument("--splits", default="valid,test1,test2")
    parser.add_argument("--no-asr", action="store_true", help="skip the *_asr transcript variants")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print the first N drafted notes")
    args = parser.parse_args()
    data = args.aci / "challenge_data"
    template = learn_template(read_csv(data / SPLITS["train"]))
    print("template (learned from train):", " | ".join(s.title for s in template.sections))
    draft_note(transcript("[doctor] any chest pain?\n[patient] no."), template)  # warm up
    splits = [s for s in args.splits.split(",") if s]
    for split in splits:
        evaluate(split, read_csv(data / SPLITS[split]), template, args.show, verbose=True)
    if not args.no_asr:
        exp = args.aci / "src_experiment_data"
        for split in splits:
            for variant in ("aci_asr", "aci_asrcorr", "virtscribe_asr", "virtscribe_humantrans"):
                path = exp / f"{split}_{variant}.csv"
                if path.exists():
                    evaluate(f"{split} {variant}", read_csv(path), template, 0)
    if "test1" in splits and not args.no_baselines:
        refs = [r["note"] for r in read_csv(data / SPLITS["test1"])]
        print("published systems on test1 (same scorer):")
        for label, file in BASELINES.items():
            path = args.aci / "baseline_predictions" / "test1" / file
            if not path.exists():
                continue
            preds = [r.get("note", "") or "" for r in read_csv(path)]
            r1, r2, rl = rouge(refs, preds[: len(refs)])
            print(f"  {label:<28} R1 {r1:5.2f}  R2 {r2:5.2f}  RLsum {rl:5.2f}")


if __name__ == "__main__":
    main()
