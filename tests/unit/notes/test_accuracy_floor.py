"""Accuracy floor for note drafting on in-repo synthetic visits (the CI clone has no ACI-Bench).

`data/visits.json` holds short doctor-patient dialogues written for this test with a reference
note each, in the section layout of ACI-Bench reference notes. The floors are the figures
recorded in docs/benchmarks.md ("Note drafting on ACI-Bench"); a change that drops any of them
fails the build. ROUGE is scored as the benchmark does (rouge-score, no stemming, mean of
per-note F1 x 100).
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest
from rouge_score import rouge_scorer

from clinscribe.notes.core import Note, Template, draft_note, validate_template

from .conftest import make_transcript

DATA = Path(__file__).parent / "data" / "visits.json"
# Recorded on 2026-12-07 (see docs/benchmarks.md); raise them when the drafter improves.
# ROUGE-1 was 64.26 before lay symptoms were coded by the NLP stage; the chief complaint of one
# visit then became "Dysuria." (coded) instead of the wrong "Hives.", which costs 0.2 here.
ROUGE1_FLOOR = 64.0
COVERAGE_FLOOR = 0.928
FAITHFUL_FLOOR = 1.0

# Reference heading → the section key of the template below (the ACI-Bench section groups).
_GROUPS = {
    "CHIEF COMPLAINT": "cc",
    "HISTORY OF PRESENT ILLNESS": "hpi",
    "REVIEW OF SYSTEMS": "ros",
    "MEDICAL HISTORY": "pmh",
    "MEDICATIONS": "meds",
    "ALLERGIES": "allergies",
    "FAMILY HISTORY": "fh",
    "SOCIAL HISTORY": "sh",
    "PHYSICAL EXAM": "exam",
    "RESULTS": "results",
    "ASSESSMENT AND PLAN": "ap",
}
_KINDS = {
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


def _template() -> Template:
    title = {key: heading.title() for heading, key in _GROUPS.items()}
    sections = [{"key": k, "title": title[k], "fact_kinds": kinds} for k, kinds in _KINDS.items()]
    return validate_template({"key": "visit", "title": "Visit", "sections": sections})


@pytest.fixture(scope="module")
def drafted() -> list[tuple[str, Note]]:
    template = _template()
    visits = json.loads(DATA.read_text(encoding="utf-8"))
    return [
        (v["note"], draft_note(make_transcript("\n".join(v["dialogue"])), template)) for v in visits
    ]


def _coverage(reference: str, note: Note) -> float:
    wanted = {_GROUPS[h] for h in re.findall(r"^([A-Z][A-Z ]+)$", reference, re.M) if h in _GROUPS}
    have = {s.key for s in note.sections if s.text.strip()}
    return len(wanted & have) / len(wanted)


@pytest.mark.accuracy
def test_note_rouge_coverage_and_faithfulness_stay_at_the_recorded_floor(
    drafted: list[tuple[str, Note]],
) -> None:
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=False)
    rouge1 = 100 * statistics.mean(scorer.score(r, n.text)["rouge1"].fmeasure for r, n in drafted)
    coverage = statistics.mean(_coverage(r, n) for r, n in drafted)
    total = sum(n.faithfulness.sentences for _, n in drafted)
    faithful = sum(n.faithfulness.supported for _, n in drafted) / total
    print(f"rouge1 {rouge1:.2f} coverage {coverage:.3f} faithful {faithful:.4f}")
    assert len(drafted) >= 3
    assert rouge1 >= ROUGE1_FLOOR
    assert coverage >= COVERAGE_FLOOR
    assert faithful >= FAITHFUL_FLOOR
