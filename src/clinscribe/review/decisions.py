"""The clinician's accept/remove decisions on a note's extracted facts.

Decisions are part of the note version's content, so they are versioned, diffed and signed
with the text. The first decision keeps the facts as drafted under `fact_review.extracted`;
from then on the content's `entities`, `problems` and `vitals` hold only what was not removed,
and those are what the FHIR bundle is built from, so a removed fact never reaches the EHR.
Fact ids are positions in the drafted lists — `m<i>` the i-th medication entity, `p<i>` the
i-th problem, `v<i>` the i-th vital — so they stay put however many facts are removed.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinscribe.errors import Unprocessable
from clinscribe.notes.core import (
    Decision,
    Entity,
    ExtractedFacts,
    Fact,
    FactReview,
    NoteContent,
    Problem,
    Vital,
)
from clinscribe.review.schemas import FactRead

__all__ = ["KINDS", "Decision", "apply", "carry", "label", "listing", "summary"]

KINDS = {"m": "medication", "p": "problem", "v": "vital"}
ICD10 = "icd-10"


def _extracted(content: NoteContent) -> ExtractedFacts:
    """The facts as drafted: kept under `fact_review` once decided, else the content's own."""
    if content.fact_review is not None:
        return content.fact_review.extracted
    return ExtractedFacts(
        entities=list(content.entities),
        problems=list(content.problems),
        vitals=list(content.vitals),
    )


def _indexed(snapshot: ExtractedFacts) -> dict[str, Fact]:
    """Fact id → fact, in display order (medications, problems, vitals)."""
    medications = [e for e in snapshot.entities if e.category == "MEDICATION"]
    out: dict[str, Fact] = {}
    groups: tuple[tuple[str, Sequence[Fact]], ...] = (
        ("m", medications),
        ("p", snapshot.problems),
        ("v", snapshot.vitals),
    )
    for prefix, items in groups:
        for i, item in enumerate(items):
            out[f"{prefix}{i}"] = item
    return out


def label(fact: Fact) -> str:
    """A one-line description of a fact for version history and diffs.

    Re-drafts match decisions to facts by this label, so its wording is part of the stored
    history: change it and earlier decisions stop carrying over.
    """
    if isinstance(fact, Vital):
        value = f"{fact.systolic}/{fact.diastolic}" if fact.type == "blood_pressure" else fact.value
        name = fact.type.replace("_", " ")
        return f"vital {name} {value} {fact.unit or ''}".rstrip()
    if isinstance(fact, Problem):
        code = f" ({fact.code})" if fact.code else ""
        return f"problem {fact.text}{code}"
    attrs = fact.attributes
    shown = (attrs.dosage, attrs.frequency) if attrs is not None else ()
    detail = ", ".join(str(v) for v in shown if v)
    return f"medication {fact.text}{f' — {detail}' if detail else ''}"


def listing(content: NoteContent) -> list[FactRead]:
    """Every reviewable fact with its id, kind and decision (None while undecided)."""
    decisions = content.fact_review.decisions if content.fact_review is not None else {}
    return [
        FactRead(id=fid, kind=KINDS[fid[0]], decision=decisions.get(fid), fact=fact)
        for fid, fact in _indexed(_extracted(content)).items()
    ]


def _same_condition(entity: Entity, problem: Problem) -> bool:
    """Whether a condition entity is the one a problem was drawn from (code, else words)."""
    if entity.category != "MEDICAL_CONDITION":
        return False
    if problem.code:
        return problem.code in {c.code for c in entity.codes if ICD10 in c.system}
    return entity.text.strip().lower() == problem.text.lower()


def apply(content: NoteContent, decisions: dict[str, Decision]) -> list[str]:
    """Record decisions in `content` (in place); the labels of what changed, for the reason."""
    snapshot = _extracted(content)
    facts = _indexed(snapshot)
    unknown = sorted(set(decisions) - set(facts))
    if unknown:
        raise Unprocessable(f"unknown fact ids: {', '.join(unknown[:20])}")
    current = dict(content.fact_review.decisions) if content.fact_review is not None else {}
    changed = [
        f"{decision} {label(facts[fid])}"
        for fid, decision in sorted(decisions.items())
        if current.get(fid) != decision
    ]
    current.update(decisions)
    removed = [facts[fid] for fid, decision in current.items() if decision == "removed"]
    # Facts are told apart by identity: two drafted facts may read exactly the same.
    gone_ids = {id(fact) for fact in removed}
    gone_problems = [fact for fact in removed if isinstance(fact, Problem)]
    content.entities = [
        e
        for e in snapshot.entities
        if id(e) not in gone_ids and not any(_same_condition(e, p) for p in gone_problems)
    ]
    content.problems = [p for p in snapshot.problems if id(p) not in gone_ids]
    content.vitals = [v for v in snapshot.vitals if id(v) not in gone_ids]
    content.fact_review = FactReview(
        extracted=snapshot.model_copy(deep=True),
        decisions=dict(sorted(current.items(), key=lambda kv: (kv[0][0], int(kv[0][1:])))),
    )
    return changed


def summary(content: NoteContent) -> list[str]:
    """The decisions as lines, so version diffs show them next to text changes."""
    if content.fact_review is None or not content.fact_review.decisions:
        return []
    facts = _indexed(_extracted(content))
    return [
        f"{decision}: {label(facts[fid])}"
        for fid, decision in content.fact_review.decisions.items()
    ]


def carry(previous: NoteContent, drafted: NoteContent) -> list[str]:
    """Keep, in a fresh draft (in place), the decisions made on the facts of the previous
    version that the new draft extracts again; a fact is the same when it reads the same
    (kind, words, dose, code, value). Returns the labels of the decisions kept."""
    if previous.fact_review is None or not previous.fact_review.decisions:
        return []
    old = _indexed(_extracted(previous))
    by_label: dict[str, Decision] = {}
    for fid, decision in previous.fact_review.decisions.items():
        if fid in old:
            by_label.setdefault(label(old[fid]), decision)
    labels = {fid: label(fact) for fid, fact in _indexed(_extracted(drafted)).items()}
    kept: dict[str, Decision] = {
        fid: by_label[text] for fid, text in labels.items() if text in by_label
    }
    if kept:
        apply(drafted, kept)
    return [f"{d} {labels[fid]}" for fid, d in kept.items()]
