"""Structured facts: chief complaint, history, ROS by system, medications, vitals, problems."""

from __future__ import annotations

import re

from clinscribe.nlp.core import Entity, Vital
from clinscribe.notes.core.rewrite import condition_name, normalize_speech
from clinscribe.notes.core.ros import RosFact, ros_facts
from clinscribe.notes.core.schemas import Evidence, FactKind, NoteSentence, Problem
from clinscribe.notes.core.units import Prepared, Unit

_CC = re.compile(
    r"\b(?:here|presents?|presenting|coming in|came in|come in|seen|referred)"
    r"(?: to (?:the )?clinic)?"
    r"(?: today)? (?:for|with)(?: (?:a|an|some|her|his|your|the|evaluation of|follow-?up of|"
    r"a follow-?up (?:on|for)))* (?P<cc>[a-z][a-z' -]{2,40}?)(?=\s*(?:[.,;?]|\band\b|\bthat\b|"
    r"\bwhich\b|\bwho\b|$))",
    re.IGNORECASE,
)
_VITAL_NAMES = {
    "blood_pressure": "Blood pressure",
    "heart_rate": "Heart rate",
    "respiratory_rate": "Respiratory rate",
    "temperature": "Temperature",
    "oxygen_saturation": "Oxygen saturation",
    "weight": "Weight",
    "height": "Height",
    "bmi": "BMI",
    "glucose": "Glucose",
}
_UNIT_TEXT = {
    "mmHg": "mmHg",
    "/min": "per minute",
    "Cel": "degrees C",
    "[degF]": "degrees F",
    "%": "%",
    "kg": "kg",
    "[lb_av]": "lbs",
    "cm": "cm",
    "[in_i]": "inches",
    "kg/m2": "kg/m2",
    "mg/dL": "mg/dL",
}
SKIP_TRAITS = {"NEGATION", "HYPOTHETICAL", "FAMILY_HISTORY"}


def ev(unit: Unit, begin: int | None = None) -> Evidence:
    return Evidence(
        segment=unit.segment, begin=unit.begin if begin is None else begin, end=unit.end
    )


def make_sentence(text: str, kind: FactKind, evidence: list[Evidence]) -> NoteSentence | None:
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 2:
        return None
    return NoteSentence(text=text, kind=kind, evidence=evidence)


def join_list(items: list[str], conj: str = "or") -> str:
    if len(items) <= 2:
        return f" {conj} ".join(items)
    return ", ".join(items[:-1]) + f", {conj} " + items[-1]


def medication_line(ent: Entity) -> str:
    parts = [ent.text[0].upper() + ent.text[1:]]
    if ent.attributes is not None:
        for value in (ent.attributes.dosage, ent.attributes.route, ent.attributes.frequency):
            if value:
                parts.append(normalize_speech(value))
    return " ".join(parts) + "."


def vital_line(vital: Vital) -> str:
    name = _VITAL_NAMES[vital.type]
    unit = _UNIT_TEXT.get(vital.unit, vital.unit)
    if vital.type == "blood_pressure":
        return f"{name}: {vital.systolic}/{vital.diastolic} {unit}."
    value = vital.value
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{name}: {shown} {unit}."


_VAGUE = frozenset(
    {
        "mass",
        "tumor",
        "lesion",
        "infection",
        "disease",
        "condition",
        "problem",
        "injury",
        "strain",
        "sprain",
    }
)
MAX_PROBLEMS = 6


def problems(prepared: Prepared) -> list[tuple[Problem, Evidence]]:
    """Diagnoses the clinician states (not asks about) with ICD-10-CM codes, first mention first."""
    out: dict[str, tuple[Problem, Evidence]] = {}
    for unit in prepared.units:
        if unit.speaker == "patient" or unit.is_question:
            continue
        for ent in unit.entities:
            if ent.category != "MEDICAL_CONDITION" or SKIP_TRAITS & set(ent.traits):
                continue
            name = ent.text.lower()
            if "DIAGNOSIS" not in ent.traits or "allerg" in name or name in _VAGUE:
                continue
            if len(out) >= MAX_PROBLEMS:
                break
            code = next((c for c in ent.codes if "icd-10" in c.system), None)
            key = code.code if code else ent.text.lower()
            if key not in out:
                text = normalize_speech(ent.text)
                problem = Problem(
                    text=text[0].upper() + text[1:],
                    code=code.code if code else None,
                    display=code.display if code else None,
                )
                out[key] = (problem, Evidence(segment=unit.segment, begin=ent.begin, end=ent.end))
    return list(out.values())


_HISTORY_CUE = re.compile(
    r"\b(?:history|diagnosed|years ago|in the past|chronic|for years|past medical|"
    r"significant for|surgery|had (?:a|an|my))\b",
    re.I,
)


# ICD-10-CM prefixes of chronic conditions that belong in the past medical history.
_CHRONIC = (
    "E10",
    "E11",
    "E13",
    "I10",
    "I11",
    "I12",
    "I13",
    "E78",
    "J44",
    "J45",
    "E03",
    "E05",
    "F32",
    "F33",
    "F41",
    "I25",
    "I48",
    "I50",
    "N18",
    "K21",
    "M17",
    "M16",
    "G40",
    "B20",
    "E66",
    "E28.2",
    "G62",
    "G47",
    "M06",
    "L40",
    "K50",
    "K51",
    "C",
    "D50",
    "I63",
    "G35",
    "G20",
    "E55",
    "L70",
)


# Stated (not asked) negatives: "I'm not taking any medications", "no known allergies".
_STATED_NO: list[tuple[re.Pattern[str], FactKind, str]] = [
    (
        re.compile(
            r"\b(?:not|n't|never) (?:taking|on|take) any (?:\w+ )?(?:medications?|meds|medicines?)"
            r"|\bno (?:current |daily )?(?:medications?|meds)\b",
            re.I,
        ),
        "medications",
        "Denies taking any current medications.",
    ),
    (
        re.compile(r"\bno known (?:drug )?allergies|\bnot allergic to any", re.I),
        "allergies",
        "No known drug allergies.",
    ),
]


def stated_negatives(prepared: Prepared, drafted: list[NoteSentence]) -> list[NoteSentence]:
    """A section the visit states as empty, when nothing else was drafted for it."""
    out: list[NoteSentence] = []
    have = {s.kind for s in drafted}
    for pattern, kind, text in _STATED_NO:
        if kind in have:
            continue
        for unit in prepared.units:
            if not unit.is_question and pattern.search(unit.text):
                out.append(NoteSentence(text=text, kind=kind, evidence=[ev(unit)]))
                break
    return out


def history(prepared: Prepared) -> list[NoteSentence]:
    """Past medical history: prior diagnoses and procedures, one sentence per source sentence."""
    out: list[NoteSentence] = []
    seen: set[str] = set()
    for unit in prepared.units:
        if unit.is_question:
            continue
        cue = bool(_HISTORY_CUE.search(unit.text))
        names = []
        for ent in unit.entities:
            if {"NEGATION", "FAMILY_HISTORY", "HYPOTHETICAL"} & set(ent.traits):
                continue
            historical = "HISTORICAL" in ent.traits
            dx = ent.category == "MEDICAL_CONDITION" and "DIAGNOSIS" in ent.traits
            surgery = ent.category == "TEST_TREATMENT_PROCEDURE" and historical and cue
            chronic = any(c.code.startswith(_CHRONIC) for c in ent.codes)
            if (dx and (historical or cue or chronic)) or surgery:
                name = normalize_speech(ent.text)
                keys = {name.lower()} | {c.code for c in ent.codes}
                if not keys & seen:
                    seen.update(keys)
                    names.append(name)
        if names:
            text = f"History of {join_list(names, 'and')}."
            out.append(NoteSentence(text=text, kind="pmh", evidence=[ev(unit)]))
    return out


def ros_positives(prepared: Prepared) -> list[RosFact]:
    """Symptoms the patient reports, as review-of-systems positives."""
    out: list[RosFact] = []
    seen: set[str] = set()
    for unit in prepared.units:
        if unit.speaker != "patient" or unit.is_question:
            continue
        names = []
        for ent in unit.entities:
            if "SYMPTOM" not in ent.traits or SKIP_TRAITS & set(ent.traits):
                continue
            if _HURTS.search(ent.text):
                continue  # the presenting "my knee hurts" is the complaint and HPI, not ROS
            name = condition_name(ent.text, [c.display for c in ent.codes if c.display])
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        if names:
            out.extend(ros_facts(names, True, [ev(unit)]))
    return out


_HURTS = re.compile(
    r"\bmy (?P<part>(?:(?:left|right|lower|upper) )?(?:knee|back|shoulder|hip|ankle|wrist|elbow|"
    r"neck|foot|hand|arm|leg|head|chest|stomach|belly|throat|ear|eye|tooth|jaw|finger|toe)s?) "
    r"(?:(?:really|still|has been|have been|is|are|started|kind of|just) )*(?:hurt|hurts|hurting|"
    r"aches|aching|sore|killing me|pain)\b",
    re.I,
)


# Side and body part said just before a complaint ("my left | shoulder pain", "right-sided |
# abdominal pain"): the complaint is written with them, as notes name it.
_SIDE_BEFORE = re.compile(
    r"\b(?P<q>(?:(?:left|right)(?:[- ]sided)? )?(?:(?:lower |upper )?(?:knee|back|shoulder|hip|"
    r"ankle|wrist|elbow|neck|foot|hand|arm|leg|chest|stomach|abdominal|belly|throat|ear|eye|jaw|"
    r"finger|toe) )?)$",
    re.I,
)


def _qualified(prepared: Prepared, segment: int, begin: int, text: str) -> tuple[str, int]:
    before = prepared.segment_text.get(segment, "")[max(begin - 40, 0) : begin]
    match = _SIDE_BEFORE.search(before)
    q = match.group("q") if match else ""
    if not q or q.lower().rstrip().split()[-1] in text.lower().split():
        return text, begin
    return normalize_speech(q) + " " + text, begin - len(q)


def chief_complaint(prepared: Prepared) -> NoteSentence | None:
    """The reason for the visit as stated by the clinician, else the patient's first complaint."""
    for unit in prepared.units[:40]:
        if unit.speaker == "patient" or unit.is_question:
            continue
        match = _CC.search(unit.text)
        if match:
            cc = normalize_speech(match.group("cc"))
            if len(cc) > 2:
                begin = unit.begin + match.start("cc")
                ev = Evidence(segment=unit.segment, begin=begin, end=unit.begin + match.end("cc"))
                return make_sentence(cc[0].upper() + cc[1:] + ".", "chief_complaint", [ev]) or None
    for unit in prepared.units:
        if unit.speaker == "clinician" or unit.is_question:
            continue
        for ent in unit.entities:
            if _HURTS.search(ent.text):
                break  # a lay "my knee hurts" is written as the clinician would: "Knee pain."
            if (
                ent.category == "MEDICAL_CONDITION"
                and not SKIP_TRAITS & set(ent.traits)
                and "allerg" not in ent.text.lower()  # an allergy is history, not the complaint
            ):
                name = condition_name(ent.text, [c.display for c in ent.codes if c.display])
                text, begin = _qualified(prepared, unit.segment, ent.begin, name)
                ev = Evidence(segment=unit.segment, begin=begin, end=ent.end)
                return NoteSentence(
                    text=text[0].upper() + text[1:] + ".", kind="chief_complaint", evidence=[ev]
                )
        hurt = _HURTS.search(unit.text)
        if hurt:
            part = normalize_speech(hurt.group("part"))
            begin, end = unit.begin + hurt.start(), unit.begin + hurt.end()
            span = Evidence(segment=unit.segment, begin=begin, end=end)
            return NoteSentence(
                text=f"{part[0].upper()}{part[1:]} pain.", kind="chief_complaint", evidence=[span]
            )
    return None
