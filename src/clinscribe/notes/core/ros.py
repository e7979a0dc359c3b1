"""Review of systems: symptoms grouped under their organ system ("Respiratory: Denies cough.")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinscribe.notes.core.schemas import Evidence, NoteSentence

_SYSTEMS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in [
        ("Constitutional", r"fever|chills|fatigue|tired|weight|sweats|malaise|appetite|weak"),
        ("Eyes", r"\beye|vision|blurr"),
        (
            "Ears, Nose, Mouth and Throat",
            r"\bear|hearing|nose|nasal|congest|sinus|throat|swallow|runny|sneez|tonsil",
        ),
        ("Cardiovascular", r"chest pain|palpitation|edema|swelling in|racing|heart"),
        ("Respiratory", r"cough|breath|wheez|sputum|dyspnea"),
        (
            "Gastrointestinal",
            r"nausea|vomit|diarrh|constipat|abdominal|stomach|belly|heartburn|reflux|stool|bowel",
        ),
        ("Genitourinary", r"urin|dysuria|bladder|kidney|flank|hematuria|pee"),
        (
            "Musculoskeletal",
            r"joint|muscle|back pain|knee|shoulder|hip|ankle|wrist|elbow|neck pain|stiff|"
            r"arm|leg|foot|hand|sprain",
        ),
        ("Skin", r"rash|itch|lesion|bruis|skin"),
        ("Neurological", r"headache|dizz|numb|tingl|seizure|faint|lighthead|memory"),
        ("Psychiatric", r"depress|anxi|mood|sleep|insomnia|suicid|stress"),
        ("Endocrine", r"thirst|polyuria|heat|cold intolerance|sugar"),
    ]
]


def system_of(term: str) -> str | None:
    """The review-of-systems heading a symptom belongs to."""
    for name, pattern in _SYSTEMS:
        if pattern.search(term):
            return name
    return None


def _join(items: list[str], conj: str) -> str:
    if len(items) <= 2:
        return f" {conj} ".join(items)
    return ", ".join(items[:-1]) + f", {conj} " + items[-1]


@dataclass(frozen=True, slots=True)
class RosFact:
    """One symptom reported or denied, with the transcript spans that say so."""

    term: str
    present: bool
    evidence: tuple[Evidence, ...]


def ros_facts(names: list[str], present: bool, evidence: list[Evidence]) -> list[RosFact]:
    """Facts for several symptoms stated together (one question and its answer)."""
    return [RosFact(name, present, tuple(evidence)) for name in names]


def ros_block(facts: list[RosFact]) -> list[NoteSentence]:
    """One sentence per organ system: "Gastrointestinal: Reports nausea. Denies vomiting."."""
    reported = {f.term.lower() for f in facts if f.present}
    order = {name: i for i, (name, _) in enumerate(_SYSTEMS)}
    groups: dict[str | None, list[RosFact]] = {}
    for fact in facts:
        if not fact.present and fact.term.lower() in reported:
            continue  # denied once, reported elsewhere: keep what the patient reported
        groups.setdefault(system_of(fact.term), []).append(fact)
    out = []
    for system in sorted(groups, key=lambda g: order.get(g or "", len(order))):
        parts = []
        for present, verb, conj in ((True, "Reports", "and"), (False, "Denies", "or")):
            terms = list(dict.fromkeys(f.term for f in groups[system] if f.present is present))
            if terms:
                parts.append(f"{verb} {_join(terms, conj)}.")
        evidence: list[Evidence] = []
        for fact in groups[system]:
            evidence.extend(e for e in fact.evidence if e not in evidence)
        text = " ".join(parts)
        out.append(
            NoteSentence(
                text=f"{system}: {text}" if system else text, kind="ros", evidence=evidence
            )
        )
    return out
