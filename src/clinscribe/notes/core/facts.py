"""Offline fact drafting: transcript units → clinical sentences of each fact kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinscribe.notes.core.classify import fix_speakers, heading_kinds, opens_results, unit_kind
from clinscribe.notes.core.hpi import (
    confirmed,
    denials,
    in_voice,
    intro_text,
    is_intro,
    narrative_worthy,
    opening,
    wh_answer,
)
from clinscribe.notes.core.results import result_sentence
from clinscribe.notes.core.rewrite import (
    Gender,
    clinician_to_clinical,
    condition_name,
    detect_gender,
    normalize_speech,
    patient_to_clinical,
)
from clinscribe.notes.core.ros import RosFact, ros_block, ros_facts
from clinscribe.notes.core.schemas import Evidence, FactKind, NoteSentence, Problem
from clinscribe.notes.core.shown import fallback_results
from clinscribe.notes.core.structured import (
    SKIP_TRAITS,
    chief_complaint,
    ev,
    history,
    join_list,
    make_sentence,
    medication_line,
    problems,
    ros_positives,
    stated_negatives,
    vital_line,
)
from clinscribe.notes.core.units import Prepared, Unit

_NO = re.compile(r"^\s*(?:no+|nope|nah|not really|never|none|nothing|i do n't|i don't)\b", re.I)
_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|uh-?huh|mm-?hmm|i do|i have|a little|sometimes|some)\b", re.I
)
_COMMAND = re.compile(r"^\W*(?:hey\W*)?dragon\b|^\W*(?:show me|pull up|open)\b", re.I)
_CURRENT_MED = re.compile(
    r"\b(?:continue|taking|been on|you're on|you are on|currently on|still on|have taken|"
    r"i take|you take)\b",
    re.I,
)


@dataclass(slots=True)
class Drafted:
    """The drafted sentences and the structured problem list."""

    sentences: list[NoteSentence]
    problems: list[Problem]


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
_PMH_Q = re.compile(
    r"\b(?:past medical history|medical history|medical (?:problems|conditions)|"
    r"health (?:problems|conditions)|surger(?:y|ies)|operations?)\b",
    re.I,
)
_MEDS_Q = re.compile(r"\b(?:taking|take|on) any (?:medications?|meds)\b", re.I)
_ALLERGY_Q = re.compile(r"\ballerg", re.I)


def _context_facts(q: Unit, answer: Unit) -> NoteSentence | None:
    """Social, family and allergy questions answered no: pertinent negatives of those kinds."""
    if not _NO.match(answer.text) or len(answer.text.split()) > 8:
        return None
    evidence = [ev(q), ev(answer)]
    if _ALLERGY_Q.search(q.text):
        return NoteSentence(text="No known drug allergies.", kind="allergies", evidence=evidence)
    if _MEDS_Q.search(q.text) and not q.entities:
        return NoteSentence(
            text="Denies taking any medications.", kind="medications", evidence=evidence
        )
    for pattern, label in _SOCIAL_Q:
        if pattern.search(q.text):
            return NoteSentence(text=label, kind="social_history", evidence=evidence)
    if _FAMILY_Q.search(q.text):
        names = [normalize_speech(e.text) for e in q.entities if e.category == "MEDICAL_CONDITION"]
        what = f" of {join_list(names)}" if names else ""
        return make_sentence(f"No family history{what}.", "family_history", evidence)
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
    elif _PMH_Q.search(q.text):
        kind = "pmh"
    elif _SOCIAL_TOPIC.search(q.text) and not q.entities:
        kind = "social_history"
    else:
        return None
    text = patient_to_clinical(answer.text, gender)
    return make_sentence(text, kind, [ev(q), ev(answer)])


def _after_yes(
    units: list[Unit], i: int, answer: Unit | None, gender: Gender
) -> NoteSentence | None:
    """ "do you drink?" / "yeah," / "but only once or twice a year.": the content is the
    sentence after the bare yes; it is kept with the question and both answers as evidence."""
    if answer is None or len(answer.text.split()) > 2 or not _YES.match(answer.text):
        return None
    nxt = units[answer.index + 1] if answer.index + 1 < len(units) else None
    if nxt is None or nxt.is_question or nxt.speaker != answer.speaker:
        return None
    found = _topic_answer(units[i], nxt, gender)
    if found is not None:
        found.evidence = [ev(units[i]), ev(answer), ev(nxt)]
    return found


def _question_facts(q: Unit, answer: Unit, gender: Gender) -> NoteSentence | list[RosFact]:
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
        return []
    names = list(
        dict.fromkeys(
            condition_name(e.text, [c.display for c in e.codes if c.display]) for e in symptoms
        )
    )
    evidence = [ev(q), ev(answer)]
    if _NO.match(answer.text) and all("NEGATION" in e.traits for e in symptoms):
        return ros_facts(names, False, evidence)
    if _YES.match(answer.text) and not any("NEGATION" in e.traits for e in symptoms):
        return ros_facts(names, True, evidence)
    return []


def _rewrite(unit: Unit, kind: FactKind, text: str, gender: Gender) -> str:
    if unit.speaker == "patient":
        return patient_to_clinical(text, gender)
    return clinician_to_clinical(text, gender, exam=kind == "exam")


_AGREE = re.compile(
    r"^\W*(?:okay|ok|sounds good|that sounds good|alright|all right|yes|yeah|sure|great|perfect|"
    r"that's fine|fine|understood|i understand|will do|thank you|thanks)\b",
    re.I,
)


_ASSENT = "The patient understands and agrees with the recommended medical treatment plan."


def _agreement(units: list[Unit], sentences: list[NoteSentence]) -> NoteSentence | None:
    """The patient's assent after the plan was discussed, documented with its evidence."""
    plan_segments = [e.segment for s in sentences if s.kind == "plan" for e in s.evidence]
    if not plan_segments:
        return None
    first_plan = min(plan_segments)
    for unit in reversed(units):
        if unit.segment <= first_plan:
            break
        if unit.speaker == "patient" and not unit.is_question and _AGREE.match(unit.text):
            return NoteSentence(
                text=_ASSENT,
                kind="plan",
                evidence=[ev(unit)],
            )
    return None


_NUMBER_WORD = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty)\b", re.I
)


# What the clinician says while examining or talking about the talk is not the plan.
_NOT_PLAN = re.compile(
    r"\b(?:take a (?:listen|look|quick look|feel)|(?:listen|look|feel) (?:to|at)|examine|"
    r"exam|press(?:ing)? on|push(?:ing)? on|turn (?:your|the patient's|his|her)|"
    r"rest (?:your|the patient's|his|her) (?:arm|hand|leg)|lie (?:back|down)|lay (?:back|down)|"
    r"sit up|deep breath|squeeze|bend (?:your|the patient's)|follow my finger|"
    r"any (?:other )?questions|talk (?:a little )?(?:bit )?about|nurse (?:come|will come)|"
    r"scale (?:of|from))\b",
    re.IGNORECASE,
)
_NOT_RESULTS: frozenset[FactKind | None] = frozenset({"plan", "exam", "vitals"})


def _clinical(unit: Unit) -> bool:
    return bool(unit.entities or unit.vitals or _NUMBER_WORD.search(unit.text))


def draft_facts(prepared: Prepared) -> Drafted:
    """Draft every fact the transcript supports, in transcript order within each kind."""
    units = prepared.units
    fix_speakers(units)
    gender = detect_gender([u.text for u in units if u.speaker != "patient"])
    sentences: list[NoteSentence] = []
    seen_meds: set[str] = set()
    heading: list[FactKind] | None = None
    consumed: set[int] = set()
    ros: list[RosFact] = []
    results_window = 0
    voiced = 0
    spoken_cc = any(
        (found := heading_kinds(u.text)) and found[0] == ["chief_complaint"] for u in units
    )
    cc = None if spoken_cc else chief_complaint(prepared)
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
        if opens_results(unit):
            results_window = 2
            if _COMMAND.match(text) or unit_kind(unit) in ("plan", None):
                continue
        elif results_window and unit.speaker != "patient":
            results_window -= 1
        if _COMMAND.match(text):
            continue
        if i in consumed:
            continue
        if unit.is_question and (unit.speaker == "clinician" or prepared.dialogue):
            answer = _answer(units, i)
            facts = _question_facts(unit, answer, gender) if answer else []
            if isinstance(facts, NoteSentence) and answer is not None:
                sentences.append(facts)
                consumed.add(answer.index)
                continue
            if isinstance(facts, list):
                ros.extend(facts)
            more = _after_yes(units, i, answer, gender)
            if more is not None:
                sentences.append(more)
                consumed.add(units[i + 1].index + 1)
                continue
            summary = confirmed(unit, answer, gender) or wh_answer(unit, answer, gender)
            if summary is not None:
                summary.text = in_voice(summary.text, voiced, gender)
                voiced += 1
                sentences.append(summary)
            continue
        kind: FactKind | None
        if heading and unit.speaker != "patient":
            kind = heading[0]
            if len(heading) > 1 and unit_kind(unit) == "plan":
                kind = heading[1]
        else:
            kind = unit_kind(unit)
            if results_window and unit.speaker != "patient" and kind not in _NOT_RESULTS:
                kind = "results"
            intro = is_intro(unit) and kind != "results"
            before = units[i - 1] if i else None
            if intro or (kind is None and narrative_worthy(unit, before)):
                kind = "hpi"
        if kind is None:
            continue
        meds = [e for e in unit.entities if e.category == "MEDICATION"]
        current = kind in ("hpi", "pmh") or bool(_CURRENT_MED.search(text))
        if kind == "medications" or (meds and current):
            for ent in meds:
                if SKIP_TRAITS & set(ent.traits) or ent.text.lower() in seen_meds:
                    continue
                seen_meds.add(ent.text.lower())
                sentences.append(
                    NoteSentence(text=medication_line(ent), kind="medications", evidence=[ev(unit)])
                )
            if kind == "medications":
                continue
        if kind == "vitals":
            for vital in unit.vitals:
                span = Evidence(segment=unit.segment, begin=vital.begin, end=vital.end)
                sentences.append(
                    NoteSentence(text=vital_line(vital), kind="vitals", evidence=[span])
                )
            if not heading:
                continue
        if kind == "plan" and not heading and (_NOT_PLAN.search(text) or "?" in text):
            continue
        patient_story = kind == "hpi" and narrative_worthy(unit, units[i - 1] if i else None)
        if not heading and kind in ("plan", "hpi") and not (_clinical(unit) or patient_story):
            continue  # chatter: no entity, vital or number to document
        rewritten = _rewrite(unit, kind, text, gender)
        if kind == "results" and unit.speaker != "patient":
            rewritten = result_sentence(rewritten)
        if patient_story:
            rewritten = in_voice(rewritten, voiced, gender)
            voiced += 1
        if is_intro(unit) and kind == "hpi":
            rewritten = intro_text(rewritten)
            rewritten = rewritten[:1].upper() + rewritten[1:]
        drafted = make_sentence(rewritten, kind, [ev(unit, begin)])
        if drafted is not None:
            if is_intro(unit) and kind == "hpi":
                sentences.insert(0, drafted)
            else:
                sentences.append(drafted)
    if not any(s.kind == "results" for s in sentences):
        sentences.extend(fallback_results(units, gender))
    agreement = _agreement(units, sentences)
    if agreement is not None:
        sentences.append(agreement)
    sentences.extend(history(prepared))
    sentences.extend(stated_negatives(prepared, sentences))
    if not any(is_intro(u) for u in units):
        opener = opening(units, sentences, gender)
        if opener is not None:
            sentences.insert(0, opener)
    denied = denials([(f.term, f.present, list(f.evidence)) for f in ros])
    if denied is not None:
        sentences.append(denied)
    sentences.extend(ros_block(ros + ros_positives(prepared)))
    assessed = problems(prepared)
    if not spoken_cc and cc is None and assessed:
        # No stated reason for the visit: the first problem the clinician names stands in.
        first, where = assessed[0]
        sentences.insert(
            0, NoteSentence(text=f"{first.text}.", kind="chief_complaint", evidence=[where])
        )
    for problem, where in assessed:
        label = f"{problem.text} ({problem.code})." if problem.code else f"{problem.text}."
        sentences.append(NoteSentence(text=label, kind="assessment", evidence=[where]))
    return Drafted(sentences=sentences, problems=[p for p, _ in assessed])
