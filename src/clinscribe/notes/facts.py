"""Offline fact drafting: transcript units → clinical sentences of each fact kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinscribe.nlp import Entity, Vital
from clinscribe.notes.classify import heading_kinds, unit_kind
from clinscribe.notes.rewrite import (
    Gender,
    clinician_to_clinical,
    detect_gender,
    normalize_speech,
    patient_to_clinical,
)
from clinscribe.notes.schemas import Evidence, FactKind, NoteSentence, Problem
from clinscribe.notes.units import Prepared, Unit

_NO = re.compile(r"^\s*(?:no+|nope|nah|not really|never|none|nothing|i do n't|i don't)\b", re.I)
_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|uh-?huh|mm-?hmm|i do|i have|a little|sometimes|some)\b", re.I
)
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
_COMMAND = re.compile(r"^\W*(?:hey )?dragon\b|^\W*(?:show me|pull up|open)\b", re.I)
_CURRENT_MED = re.compile(
    r"\b(?:continue|taking|been on|you're on|you are on|currently on|still on|have taken|"
    r"i take|you take)\b",
    re.I,
)
_SKIP_TRAITS = {"NEGATION", "HYPOTHETICAL", "FAMILY_HISTORY"}


@dataclass(slots=True)
class Drafted:
    """The drafted sentences and the structured problem list."""

    sentences: list[NoteSentence]
    problems: list[Problem]


def _ev(unit: Unit, begin: int | None = None) -> Evidence:
    return Evidence(
        segment=unit.segment, begin=unit.begin if begin is None else begin, end=unit.end
    )


def _sentence(text: str, kind: FactKind, evidence: list[Evidence]) -> NoteSentence | None:
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 2:
        return None
    return NoteSentence(text=text, kind=kind, evidence=evidence)


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " or ".join(items)
    return ", ".join(items[:-1]) + ", or " + items[-1]


def _answer(units: list[Unit], i: int) -> Unit | None:
    # Speaker labels are sometimes swapped: any next sentence from another segment answers.
    nxt = units[i + 1] if i + 1 < len(units) else None
    if nxt is None or nxt.is_question:
        return None
    if nxt.speaker == "patient" or nxt.segment != units[i].segment:
        return nxt
    return None


_SOCIAL_Q = [
    (re.compile(r"\btobacco\b", re.I), "Denies tobacco use."),
    (re.compile(r"\bsmoking\b", re.I), "Denies smoking."),
    (re.compile(r"\bcigarettes?\b", re.I), "Denies smoking cigarettes."),
    (re.compile(r"\bsmoke\b", re.I), "Does not smoke."),
    (re.compile(r"\bvape\b", re.I), "Does not vape."),
    (re.compile(r"\balcohol\b", re.I), "Denies alcohol use."),
    (re.compile(r"\bdrink\b", re.I), "Does not drink."),
    (re.compile(r"\bmarijuana\b", re.I), "Denies marijuana use."),
    (re.compile(r"\bdrugs\b", re.I), "Denies drug use."),
]
_SOCIAL_TOPIC = re.compile(
    r"\b(?:smoke|smoking|cigarettes?|tobacco|vape|alcohol|drink|drugs|marijuana|work|job|"
    r"live|living|hobbies|exercise|fun|married|kids|children|travel)\b",
    re.I,
)
_FAMILY_Q = re.compile(
    r"\bfamily (?:history|member)|\bin (?:your|the) family\b|\brelatives?\b", re.I
)
_ALLERGY_Q = re.compile(r"\ballerg", re.I)


def _context_facts(q: Unit, answer: Unit) -> NoteSentence | None:
    """Social, family and allergy questions answered no: pertinent negatives of those kinds."""
    if not _NO.match(answer.text) or len(answer.text.split()) > 8:
        return None
    evidence = [_ev(q), _ev(answer)]
    if _ALLERGY_Q.search(q.text):
        return NoteSentence(text="No known drug allergies.", kind="allergies", evidence=evidence)
    for pattern, label in _SOCIAL_Q:
        if pattern.search(q.text):
            return NoteSentence(text=label, kind="social_history", evidence=evidence)
    if _FAMILY_Q.search(q.text):
        names = [normalize_speech(e.text) for e in q.entities if e.category == "MEDICAL_CONDITION"]
        what = f" of {_join(names)}" if names else ""
        return _sentence(f"No family history{what}.", "family_history", evidence)
    return None


def _topic_answer(q: Unit, answer: Unit, gender: Gender) -> NoteSentence | None:
    """A substantive answer to a social, family or allergy question, kept with its question."""
    if _NO.match(answer.text) or len(answer.text.split()) < 2:
        return None
    kind: FactKind
    if _ALLERGY_Q.search(q.text):
        kind = "allergies"
    elif _FAMILY_Q.search(q.text):
        kind = "family_history"
    elif _SOCIAL_TOPIC.search(q.text) and not q.entities:
        kind = "social_history"
    else:
        return None
    text = patient_to_clinical(answer.text, gender)
    return _sentence(text, kind, [_ev(q), _ev(answer)])


def _question_facts(q: Unit, answer: Unit, gender: Gender) -> NoteSentence | None:
    context = _context_facts(q, answer) or _topic_answer(q, answer, gender)
    if context is not None:
        return context
    symptoms = [
        e
        for e in q.entities
        if e.category == "MEDICAL_CONDITION"
        and not {"FAMILY_HISTORY", "HISTORICAL"} & set(e.traits)
    ]
    if not symptoms:
        return None
    names = list(dict.fromkeys(normalize_speech(e.text) for e in symptoms))
    evidence = [_ev(q), _ev(answer)]
    if _NO.match(answer.text) and all("NEGATION" in e.traits for e in symptoms):
        return _sentence(f"Denies {_join(names)}.", "ros", evidence)
    if _YES.match(answer.text) and not any("NEGATION" in e.traits for e in symptoms):
        return _sentence(f"Endorses {_join(names).replace(', or ', ', and ')}.", "ros", evidence)
    return None


def _medication_line(ent: Entity) -> str:
    parts = [ent.text[0].upper() + ent.text[1:]]
    if ent.attributes is not None:
        for value in (ent.attributes.dosage, ent.attributes.route, ent.attributes.frequency):
            if value:
                parts.append(normalize_speech(value))
    return " ".join(parts) + "."


def _vital_line(vital: Vital) -> str:
    name = _VITAL_NAMES[vital.type]
    unit = _UNIT_TEXT.get(vital.unit, vital.unit)
    if vital.type == "blood_pressure":
        return f"{name}: {vital.systolic}/{vital.diastolic} {unit}."
    value = vital.value
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{name}: {shown} {unit}."


def _problems(prepared: Prepared) -> list[tuple[Problem, Evidence]]:
    out: dict[str, tuple[Problem, Evidence]] = {}
    for unit in prepared.units:
        for ent in unit.entities:
            if ent.category != "MEDICAL_CONDITION" or _SKIP_TRAITS & set(ent.traits):
                continue
            if "DIAGNOSIS" not in ent.traits or unit.is_question:
                continue
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


def _history(prepared: Prepared) -> list[NoteSentence]:
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
            if (dx and (historical or cue)) or surgery:
                name = normalize_speech(ent.text)
                if name.lower() not in seen:
                    seen.add(name.lower())
                    names.append(name)
        if names:
            text = f"History of {_join(names).replace(', or ', ', and ').replace(' or ', ' and ')}."
            out.append(NoteSentence(text=text, kind="pmh", evidence=[_ev(unit)]))
    return out


def _ros_positives(prepared: Prepared) -> list[NoteSentence]:
    """Symptoms the patient reports, as review-of-systems positives."""
    out: list[NoteSentence] = []
    seen: set[str] = set()
    for unit in prepared.units:
        if unit.speaker != "patient" or unit.is_question:
            continue
        names = []
        for ent in unit.entities:
            if "SYMPTOM" not in ent.traits or _SKIP_TRAITS & set(ent.traits):
                continue
            name = normalize_speech(ent.text)
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        if names:
            text = f"Endorses {_join(names).replace(', or ', ', and ').replace(' or ', ' and ')}."
            out.append(NoteSentence(text=text, kind="ros", evidence=[_ev(unit)]))
    return out


def _chief_complaint(prepared: Prepared) -> NoteSentence | None:
    for unit in prepared.units[:40]:
        if unit.speaker == "patient" or unit.is_question:
            continue
        match = _CC.search(unit.text)
        if match:
            cc = normalize_speech(match.group("cc"))
            if len(cc) > 2:
                begin = unit.begin + match.start("cc")
                ev = Evidence(segment=unit.segment, begin=begin, end=unit.begin + match.end("cc"))
                return _sentence(cc[0].upper() + cc[1:] + ".", "chief_complaint", [ev]) or None
    for unit in prepared.units:
        if unit.speaker == "clinician" or unit.is_question:
            continue
        for ent in unit.entities:
            if ent.category == "MEDICAL_CONDITION" and not _SKIP_TRAITS & set(ent.traits):
                text = normalize_speech(ent.text)
                ev = Evidence(segment=unit.segment, begin=ent.begin, end=ent.end)
                return NoteSentence(
                    text=text[0].upper() + text[1:] + ".", kind="chief_complaint", evidence=[ev]
                )
    return None


def _rewrite(unit: Unit, kind: FactKind, text: str, gender: Gender) -> str:
    if unit.speaker == "patient":
        return patient_to_clinical(text, gender)
    return clinician_to_clinical(text, gender, exam=kind == "exam")


def draft_facts(prepared: Prepared) -> Drafted:
    """Draft every fact the transcript supports, in transcript order within each kind."""
    units = prepared.units
    gender = detect_gender([u.text for u in units if u.speaker != "patient"])
    sentences: list[NoteSentence] = []
    seen_meds: set[str] = set()
    heading: list[FactKind] | None = None
    consumed: set[int] = set()
    cc = _chief_complaint(prepared)
    if cc is not None:
        sentences.append(cc)
    for i, unit in enumerate(units):
        text, begin = unit.text, unit.begin
        found = heading_kinds(text) if unit.speaker != "patient" else None
        if found is not None:
            heading, offset = found
            text, begin = text[offset:], unit.begin + offset
            if not text.strip():
                continue
        elif unit.speaker == "patient" and prepared.dialogue:
            heading = None
        if _COMMAND.match(text):
            continue
        if i in consumed:
            continue
        if unit.is_question and unit.speaker == "clinician":
            answer = _answer(units, i)
            fact = _question_facts(unit, answer, gender) if answer else None
            if fact is not None and answer is not None:
                sentences.append(fact)
                if fact.kind not in ("ros",):
                    consumed.add(answer.index)
            continue
        kind: FactKind | None
        if heading and unit.speaker != "patient":
            kind = heading[0]
            if len(heading) > 1 and unit_kind(unit) == "plan":
                kind = heading[1]
        else:
            kind = unit_kind(unit)
        if kind is None:
            continue
        meds = [e for e in unit.entities if e.category == "MEDICATION"]
        current = kind in ("hpi", "pmh") or bool(_CURRENT_MED.search(text))
        if kind == "medications" or (meds and current):
            for ent in meds:
                if _SKIP_TRAITS & set(ent.traits) or ent.text.lower() in seen_meds:
                    continue
                seen_meds.add(ent.text.lower())
                sentences.append(
                    NoteSentence(
                        text=_medication_line(ent), kind="medications", evidence=[_ev(unit)]
                    )
                )
            if kind == "medications":
                continue
        if kind == "vitals":
            for vital in unit.vitals:
                ev = Evidence(segment=unit.segment, begin=vital.begin, end=vital.end)
                sentences.append(
                    NoteSentence(text=_vital_line(vital), kind="vitals", evidence=[ev])
                )
            if not heading:
                continue
        drafted = _sentence(_rewrite(unit, kind, text, gender), kind, [_ev(unit, begin)])
        if drafted is not None:
            sentences.append(drafted)
    sentences.extend(_history(prepared))
    sentences.extend(_ros_positives(prepared))
    problems = _problems(prepared)
    for problem, ev in problems:
        label = f"{problem.text} ({problem.code})." if problem.code else f"{problem.text}."
        sentences.append(NoteSentence(text=label, kind="assessment", evidence=[ev]))
    return Drafted(sentences=sentences, problems=[p for p, _ in problems])
