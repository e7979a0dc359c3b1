"""What a signed note proposes for the record: its kept facts and plan items, with provenance.

From the note version's content: vitals become observations (blood pressure as systolic and
diastolic), medication entities become statements (or, when a plan sentence starts one, draft
requests), assessed problems become conditions, allergies named in the allergy sentences become
allergy entries, and plan sentences that order a test, an image, a referral or a procedure
become draft orders. Each proposal carries the note version and the transcript segments it was
read from. The clinician decides on every one; nothing here is active.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from clinscribe.clinical.core.keys import drug_key, observation_key, text_key
from clinscribe.clinical.core.vocab import LOINC_SYSTEM, VITAL_CODES, nlp_unit
from clinscribe.nlp.core.schemas import Entity, Vital

Resolve = Callable[[str], str | None]  # written name -> generic (drug or allergen class)
_SKIP_TRAITS: Final = {"NEGATION", "HYPOTHETICAL", "FAMILY_HISTORY"}
_STARTS: Final = re.compile(
    r"\b(?:start|started|begin|initiat\w*|prescrib\w*|add|increase|switch\w*|commence|trial of|"
    r"new prescription)\b",
    re.IGNORECASE,
)
_NO_ALLERGIES: Final = re.compile(r"\b(?:no known|nkda|nka|denies any|no drug)\b", re.IGNORECASE)
_STOP: Final = frozenset({"allergic", "allergy", "allergies", "to", "and", "the", "with", "has"})

# Plan wording -> (category, display, LOINC code or None). Checked in order; all matches count.
ORDER_PATTERNS: Final[tuple[tuple[re.Pattern[str], str, str, str | None], ...]] = tuple(
    (re.compile(rf"\b(?:{p})\b", re.IGNORECASE), cat, display, code)
    for p, cat, display, code in (
        (r"a1c|hba1c|hemoglobin a1c|glycated", "laboratory", "Hemoglobin A1c", "4548-4"),
        (r"lipid panel|lipids|cholesterol panel", "laboratory", "Lipid panel", "57698-3"),
        (r"cbc|complete blood count|blood count", "laboratory", "Complete blood count", "58410-2"),
        (r"bmp|basic metabolic panel", "laboratory", "Basic metabolic panel", "51990-0"),
        (
            r"cmp|comprehensive metabolic panel",
            "laboratory",
            "Comprehensive metabolic panel",
            "24323-8",
        ),
        (r"tsh|thyroid function|thyroid panel", "laboratory", "TSH", "3016-3"),
        (r"urinalysis|urine analysis|\bua\b", "laboratory", "Urinalysis", "24356-8"),
        (r"urine culture", "laboratory", "Urine culture", "630-4"),
        (r"inr|pt/inr|prothrombin time", "laboratory", "INR", "6301-6"),
        (r"creatinine|kidney function|renal function", "laboratory", "Creatinine", "2160-0"),
        (r"potassium level|check potassium", "laboratory", "Potassium", "2823-3"),
        (r"chest x-?ray|cxr", "imaging", "Chest X-ray", None),
        (r"(?<!chest )x-?ray", "imaging", "X-ray", None),
        (r"\bct\b|ct scan|cat scan", "imaging", "CT scan", None),
        (r"mri", "imaging", "MRI", None),
        (r"ultrasound|sonogram", "imaging", "Ultrasound", None),
        (r"echocardiogram|echo\b", "imaging", "Echocardiogram", None),
        (r"mammogram", "imaging", "Mammogram", None),
        (r"ecg|ekg|electrocardiogram", "procedure", "Electrocardiogram", None),
        (r"colonoscopy", "procedure", "Colonoscopy", None),
        (r"physical therapy|physiotherapy", "referral", "Referral to physical therapy", None),
    )
)
_REFERRAL: Final = re.compile(
    r"\brefer(?:ral|red)?\s+(?:\w+\s+){0,2}to\s+(?:an?\s+|the\s+)?"
    r"(cardiology|dermatology|endocrinology|gastroenterology|neurology|nephrology|oncology|"
    r"ophthalmology|orthopedics|psychiatry|pulmonology|rheumatology|urology|podiatry|"
    r"cardiologist|dermatologist|endocrinologist|gastroenterologist|neurologist|nephrologist|"
    r"oncologist|ophthalmologist|orthopedist|psychiatrist|pulmonologist|rheumatologist|"
    r"urologist|podiatrist|dietitian|nutritionist)",
    re.IGNORECASE,
)


@dataclass
class Proposal:
    """One entry to propose: its resource, field values, dedupe key and provenance."""

    resource: str
    values: dict[str, Any]
    key: str
    sources: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Sentence:
    """A note sentence with its kind and the transcript spans it rests on."""

    text: str
    kind: str
    spans: tuple[tuple[int, int, int], ...]  # (segment id, begin, end), segment-relative


@dataclass(frozen=True)
class NoteFacts:
    """What the hand-over reads from a note version (built from its stored content)."""

    note_id: str
    note_version: int
    effective_at: datetime | None
    entities: Sequence[Entity]
    vitals: Sequence[Vital]
    problems: Sequence[tuple[str, str | None, str | None]]  # (text, code, display)
    sentences: Sequence[Sentence]
    segment_starts: Sequence[int]  # joined-text offset of each segment
    segment_ids: Sequence[int]


def _source(facts: NoteFacts, segments: Sequence[int]) -> dict[str, Any]:
    return {
        "kind": "note",
        "note_id": facts.note_id,
        "note_version": facts.note_version,
        "segment_ids": sorted(set(segments)),
    }


def _locate(facts: NoteFacts, begin: int) -> tuple[int | None, int]:
    """Segment id and segment-relative offset of a joined-text offset."""
    if not facts.segment_starts:
        return None, begin
    i = max(bisect.bisect_right(list(facts.segment_starts), begin) - 1, 0)
    return facts.segment_ids[i], begin - facts.segment_starts[i]


def _sentence_at(facts: NoteFacts, segment: int | None, offset: int) -> Sentence | None:
    for sentence in facts.sentences:
        for seg, b, e in sentence.spans:
            if seg == segment and b <= offset < max(e, b + 1):
                return sentence
    return None


def _vitals(facts: NoteFacts) -> list[Proposal]:
    out: list[Proposal] = []
    for vital in facts.vitals:
        segment, _ = _locate(facts, vital.begin)
        sources = [_source(facts, [segment] if segment is not None else [])]
        parts: list[tuple[str, float | None]] = (
            [("systolic", vital.systolic), ("diastolic", vital.diastolic)]
            if vital.type == "blood_pressure"
            else [(vital.type, vital.value)]
        )
        for kind, value in parts:
            coded = VITAL_CODES.get(kind)
            if coded is None or value is None:
                continue
            category = "laboratory" if kind == "glucose" else "vital-signs"
            values = {
                "category": category,
                "code": coded.code,
                "display": coded.display,
                "value_quantity": float(value),
                "unit": nlp_unit(vital.unit),
                "unit_text": vital.unit,
                "effective_at": facts.effective_at,
                "status": "final",
                "source": "note",
            }
            key = observation_key(coded.code, None, facts.effective_at)
            out.append(Proposal("observation", values, key, list(sources)))
    return out


def _medications(facts: NoteFacts, resolve: Resolve) -> list[Proposal]:
    out: list[Proposal] = []
    for ent in facts.entities:
        if ent.category != "MEDICATION" or _SKIP_TRAITS & set(ent.traits):
            continue
        segment, offset = _locate(facts, ent.begin)
        sentence = _sentence_at(facts, segment, offset)
        started = sentence is not None and sentence.kind == "plan" and _STARTS.search(sentence.text)
        attrs = ent.attributes
        generic = resolve(ent.text)
        values: dict[str, Any] = {
            "kind": "request" if started else "statement",
            "drug": (generic or ent.text.strip())[:200],
            "rxnorm": next((c.code for c in ent.codes if "rxnorm" in c.system), None),
            "dose": attrs.dosage if attrs else None,
            "route": attrs.route if attrs else None,
            "frequency": attrs.frequency if attrs else None,
            "duration": attrs.duration if attrs else None,
            "status": "draft" if started else "active",
            "intent": "proposal" if started else None,
        }
        key = ("request:" if started else "statement:") + drug_key(ent.text, generic)
        source = _source(facts, [segment] if segment is not None else [])
        out.append(Proposal("medication", values, key, [source]))
    return out


def _conditions(facts: NoteFacts) -> list[Proposal]:
    out: list[Proposal] = []
    for text, code, display in facts.problems:
        values = {
            "code": code,
            "display": (display or text)[:200],
            "clinical_status": "active",
            "verification_status": "confirmed",
        }
        key = code or text_key(text)
        out.append(Proposal("condition", values, key, [_source(facts, [])]))
    return out


def _allergies(facts: NoteFacts, resolve: Resolve) -> list[Proposal]:
    out: list[Proposal] = []
    for sentence in facts.sentences:
        if sentence.kind != "allergies" or _NO_ALLERGIES.search(sentence.text):
            continue
        words = re.findall(r"[A-Za-z][A-Za-z\-]+", sentence.text)
        found: dict[str, str] = {}
        for i, word in enumerate(words):
            if word.lower() in _STOP or len(word) < 4:
                continue
            generic = resolve(" ".join(words[i : i + 3]))
            if generic:
                found.setdefault(generic, word)
        segments = [s for s, _, _ in sentence.spans]
        for generic in found:
            values = {
                "substance": generic,
                "category": "medication",
                "clinical_status": "active",
                "verification_status": "unconfirmed",
            }
            out.append(Proposal("allergy", values, text_key(generic), [_source(facts, segments)]))
    return out


def _orders(facts: NoteFacts) -> list[Proposal]:
    out: list[Proposal] = []
    for sentence in facts.sentences:
        if sentence.kind != "plan":
            continue
        items: list[tuple[str, str, str | None]] = [
            (cat, display, code)
            for pattern, cat, display, code in ORDER_PATTERNS
            if pattern.search(sentence.text)
        ]
        referral = _REFERRAL.search(sentence.text)
        if referral:
            items.append(("referral", f"Referral to {referral.group(1).lower()}", None))
        segments = [s for s, _, _ in sentence.spans]
        for cat, display, code in items:
            values = {
                "category": cat,
                "code": code,
                "code_system": LOINC_SYSTEM if code else None,
                "display": display,
                "status": "draft",
                "intent": "proposal",
                "priority": "routine",
                "reason": sentence.text[:2000],
            }
            key = f"{cat}:{code or display.lower()}"
            out.append(Proposal("order", values, key, [_source(facts, segments)]))
    return out


def from_note(facts: NoteFacts, resolve: Resolve) -> list[Proposal]:
    """Every proposal of a note version, duplicates within the note merged (sources joined)."""
    found = [
        *_vitals(facts),
        *_medications(facts, resolve),
        *_conditions(facts),
        *_allergies(facts, resolve),
        *_orders(facts),
    ]
    return merge(found)


def merge(proposals: Sequence[Proposal]) -> list[Proposal]:
    """One proposal per (resource, key); the segments of repeats join its note source."""
    out: dict[tuple[str, str], Proposal] = {}
    for p in proposals:
        seen = out.get((p.resource, p.key))
        if seen is None:
            out[(p.resource, p.key)] = p
            continue
        for source in p.sources:
            add_source(seen.sources, source)
    return list(out.values())


def add_source(sources: list[dict[str, Any]], source: dict[str, Any]) -> bool:
    """Add a provenance entry (a note version's segments join its entry); False if known."""
    for known in sources:
        if known.get("kind") == "note" == source.get("kind") and (
            known.get("note_id"),
            known.get("note_version"),
        ) == (source.get("note_id"), source.get("note_version")):
            merged = sorted(set(known.get("segment_ids") or []) | set(source["segment_ids"]))
            changed = merged != known.get("segment_ids")
            known["segment_ids"] = merged
            return changed
        if known == source:
            return False
    sources.append(source)
    return True
