"""History of present illness: the patient's own account as a clinical narrative.

Three sources, each sentence keeping the transcript span it rests on:

* the clinician's introduction ("ms. cooper is a 65 year old female here for anemia"), first;
* the patient's own statements about the problem, in the third person ("The patient reports
  that she has been feeling fatigued...");
* the clinician's summarising questions the patient confirms ("so the pain started three weeks
  ago?" / "yes" → "The pain started 3 weeks ago."), with the question and the answer as
  evidence.

Which patient sentences belong in the narrative, and how reference notes phrase them ("The
patient reports...", "She states that..."), were learned from the ACI-Bench train split (Yim et
al., Scientific Data 10:586, 2023, CC BY 4.0): see `cues.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from clinscribe.nlp.core import parse_number
from clinscribe.notes.core.cues import hpi_score
from clinscribe.notes.core.rewrite import Gender, clinician_to_clinical, normalize_speech
from clinscribe.notes.core.schemas import Evidence, NoteSentence
from clinscribe.notes.core.units import Unit

_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|uh-?huh|mm-?hmm|correct|right|exactly|that's right|"
    r"that is right|i do|i have|i did|it is|it does|it did|sure|definitely)\b",
    re.I,
)
_NEGATIVE = re.compile(r"\b(?:no|not|n't|never|without|nothing)\b|n't\b", re.I)
_AGREE_ONLY = re.compile(
    r"^\W*(?:okay|ok|sounds good|that sounds good|alright|all right|yes|yeah|yep|sure|great|"
    r"perfect|that's fine|fine|thank you|thanks|right|correct|no|nope|uh-?huh|mm-?hmm|um|uh|"
    r"i agree|good|wonderful|awesome|lovely|cool|exactly|absolutely|of course|hi|hello|bye)"
    r"\W*(?:\b(?:okay|thanks|thank you|doctor|doc|so much|that's it|too|you too)\b\W*)*$",
    re.I,
)
_CHATTER = re.compile(
    r"\b(?:weather|vacation|thank you|thanks|how are you|nice to|good to see|hello|bye|"
    r"dragon|the game|my team|go (?:team|\w+s)\b)",
    re.I,
)
# The clinician summarises the problem as a question the patient confirms.
_PAST = {
    "have": "had",
    "get": "got",
    "feel": "felt",
    "notice": "noticed",
    "take": "took",
    "try": "tried",
    "use": "used",
    "see": "saw",
    "hear": "heard",
    "wake": "woke",
    "fall": "fell",
    "hit": "hit",
    "hurt": "hurt",
    "start": "started",
    "go": "went",
}
_PRESENT = {"have": "has", "go": "goes", "do": "does", "hurt": "hurts", "radiate": "radiates"}
_INVERTED: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^do you (have|get|feel|notice|take|use|see|hear|wake)\b", re.I), r"you \1"),
    (
        re.compile(rf"^did you ({'|'.join(_PAST)})\b", re.I),
        lambda m: "you " + _PAST[m.group(1).lower()],
    ),
    (
        re.compile(
            r"^have you (been|had|noticed|tried|taken|felt|used|started|gotten|seen)\b", re.I
        ),
        r"you have \1",
    ),
    (
        re.compile(r"^are you (still|now|currently|having|taking|feeling|able)\b", re.I),
        r"you are \1",
    ),
    (re.compile(r"^(is|was) (it|the pain|that|this)\b", re.I), r"\2 \1"),
    (
        re.compile(rf"^does (it|the pain|that|this) ({'|'.join(_PRESENT)})\b", re.I),
        lambda m: f"{m.group(1)} {_PRESENT[m.group(2).lower()]}",
    ),
]
_DECLARATIVE = re.compile(
    r"^(?:you|your|it|it's|the pain|this|that|and you|so you|so it|and it|so your|and your|"
    r"so the|and the|so this|and this)\b",
    re.I,
)
_LEAD = re.compile(r"^(?:(?:so|and|okay|ok|alright|all right|now|um|uh|and then|but)\W+)+", re.I)
_HISTORY_CUE = re.compile(
    r"\b(?:pain|hurts?|hurting|ache|aching|sore|started|start|since|ago|weeks?|days?|months?|"
    r"years?|worse|better|worsen|improv|swell|swollen|when|after|before|night|morning|"
    r"numb|tingl|radiat|sharp|dull|constant|comes and goes|on and off|fell|fall|injur|"
    r"twist|happened|tried|taking|took|helps?|helped|medicine|medication|out of ten|/10)",
    re.I,
)
_INTRO = re.compile(
    r"\b(?:\d+|[a-z]+[- ](?:[a-z]+[- ])?)[- ]?years?[- ]old\b.{0,80}\b(?:male|female|man|woman|"
    r"gentleman|lady|boy|girl|patient)\b",
    re.I,
)


def _ev(unit: Unit) -> Evidence:
    return Evidence(segment=unit.segment, begin=unit.begin, end=unit.end)


def is_intro(unit: Unit) -> bool:
    """The clinician introducing the patient: age, sex and the reason for the visit."""
    return unit.speaker != "patient" and not unit.is_question and bool(_INTRO.search(unit.text))


_SMALL_TALK_Q = re.compile(
    r"\b(?:weekend|vacation|holiday|weather|how are you|how's it going|how have you been|"
    r"how(?:'s| is| are) (?:the|your) (?:family|kids|wife|husband|trip|game|team))\b",
    re.I,
)


def intro_text(text: str) -> str:
    """The clinician's spoken introduction in the form notes write it ("43-year-old female
    who presents today for"); the same words, hyphenated and with the usual verb."""
    out = re.sub(r"\b(\d{1,3}) years? old\b", r"\1-year-old", text)
    out = re.sub(r"^(?:this is|today i'm seeing|i'm seeing)\s+", "", out, flags=re.I)
    return re.sub(
        r"\s*(?:,\s*)?\b(?:(?:who is|is) )?(?:here|in) (?:today )?(?:for|with)\b",
        ", who presents today for",
        out,
        count=1,
        flags=re.I,
    )


def narrative_worthy(unit: Unit, before: Unit | None = None) -> bool:
    """A patient's own statement that belongs in the narrative (not assent or small talk).

    ``before`` is the sentence said just before: an answer to "how was your weekend?" is
    small talk whatever its words.
    """
    if unit.speaker != "patient" or unit.is_question:
        return False
    if before is not None and before.speaker != "patient" and _SMALL_TALK_Q.search(before.text):
        return False
    text = normalize_speech(unit.text)
    words = re.findall(r"[A-Za-z']+", text)
    if len(words) < 4 or _AGREE_ONLY.match(text) or _CHATTER.search(text):
        return False
    # The learned word weights decide; a clinical entity or a history cue (onset, course,
    # what helps) each count as one more unit of log-odds. Threshold tuned on ACI-Bench valid.
    score = hpi_score(text) + bool(unit.entities or unit.vitals) + bool(_HISTORY_CUE.search(text))
    return score > _THRESHOLD


_THRESHOLD = -1.0
_VOICES = ("The patient reports that", "{Subj} states that", "{Subj} notes that", "")


def in_voice(text: str, turn: int, gender: Gender) -> str:
    """Reported speech the way clinicians write it, rotating the reporting verb.

    ``text`` is already in the third person; "Reports X." keeps its verb with a subject.
    """
    subj = {"female": "she", "male": "he"}.get(gender or "", "the patient")
    if text.startswith("Reports "):
        who = "The patient" if turn % 2 == 0 else subj.capitalize()
        return f"{who} reports {text[len('Reports ') :]}"
    if text.startswith("Denies "):
        who = "The patient" if turn % 2 == 0 else subj.capitalize()
        return f"{who} denies {text[len('Denies ') :]}"
    voice = _VOICES[turn % len(_VOICES)].format(Subj=subj.capitalize())
    if subj == "the patient":
        voice = voice if voice.startswith("The patient") else ""
        starts = r"^(?:She|He|Her|His)\b"  # "The patient reports that the patient..." is clumsy
    else:
        starts = r"^(?:She|He|The patient|Her|His|The patient's)\b"
    if not voice or not re.match(starts, text):
        return text
    return f"{voice} {text[0].lower()}{text[1:]}"


def confirmed(question: Unit, answer: Unit | None, gender: Gender) -> NoteSentence | None:
    """A summarising question the patient answered yes, as a statement of fact."""
    if answer is None or question.speaker == "patient" or not _YES.match(answer.text):
        return None
    if len(answer.text.split()) > 15:
        return None
    text = _LEAD.sub("", normalize_speech(question.text)).rstrip(" ?.")
    negated = any("NEGATION" in e.traits for e in question.entities)
    if negated or _NEGATIVE.search(text) or not (question.entities or _HISTORY_CUE.search(text)):
        return None
    for pattern, repl in _INVERTED:
        new = pattern.sub(repl, text, count=1)
        if new != text:
            text = new
            break
    else:
        if not _DECLARATIVE.match(text):
            return None
    if len(text.split()) < 4:
        return None
    # "have you had any fevers?" / "yes" -> "has had fevers"; "anything" -> "something".
    text = re.sub(r"\bany\s+", "", re.sub(r"\banything\b", "something", text, flags=re.I))
    out = clinician_to_clinical(text, gender)
    return NoteSentence(text=out, kind="hpi", evidence=[_ev(question), _ev(answer)])


_AGE = re.compile(
    r"\b(?P<age>\d{1,3}|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ]?)?"
    r"(?:one|two|three|four|five|six|seven|eight|nine)|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety)[- ]years?[- ]old\b",
    re.I,
)


def _age(units: list[Unit]) -> tuple[str, Evidence] | None:
    for unit in units:
        match = _AGE.search(unit.text)
        if match is None:
            continue
        value = parse_number(match.group("age").replace("-", " "))
        if value is None or not 0 < value < 120:
            continue
        begin = unit.begin + match.start()
        return str(int(value)), Evidence(
            segment=unit.segment, begin=begin, end=unit.begin + match.end()
        )
    return None


def opening(
    units: list[Unit], sentences: list[NoteSentence], gender: Gender
) -> NoteSentence | None:
    """The HPI's first sentence when the clinician gave no introduction: who, history, why.

    "The patient is a 58-year-old male with a past medical history significant for
    hypertension, who presents today for knee pain." Every part comes from a drafted sentence
    or a transcript span (age as said; sex from how the clinician speaks of the patient, as in
    every rewritten sentence), and the evidence lists them all.
    """
    cc = next((s for s in sentences if s.kind == "chief_complaint"), None)
    history = [s for s in sentences if s.kind == "pmh" and s.text.startswith("History of ")]
    if cc is None and not history:
        return None
    evidence: list[Evidence] = []
    age = _age(units)
    sex = {"female": "female", "male": "male"}.get(gender or "")
    described = age is not None or sex is not None
    who = "The patient is a" if described else "The patient"
    if age is not None:
        who += f" {age[0]}-year-old"
        evidence.append(age[1])
    if described:
        who += f" {sex or 'patient'}"
    if history:
        names = [s.text[len("History of ") :].rstrip(".") for s in history[:3]]
        lead = " with a" if described else " has a"
        who += f"{lead} past medical history significant for " + ", ".join(names)
        evidence.extend(e for s in history[:3] for e in s.evidence)
    if cc is not None:
        reason = cc.text.rstrip(".")
        reason = reason[:1].lower() + reason[1:] if not reason[:2].isupper() else reason
        link = ", who presents" if described else (" and presents" if history else " presents")
        who += f"{link} today for {reason}"
        evidence.extend(cc.evidence)
    return NoteSentence(text=who + ".", kind="hpi", evidence=evidence)


def denials(facts: list[tuple[str, bool, list[Evidence]]]) -> NoteSentence | None:
    """The pertinent negatives of the visit in one HPI sentence ("He denies fever or chills")."""
    reported = {term.lower() for term, present, _ in facts if present}
    terms: list[str] = []
    evidence: list[Evidence] = []
    for term, present, spans in facts:
        # A bare "pain" denied to one question is rarely the visit's answer about pain.
        if present or term.lower() in reported or term in terms or term.lower() == "pain":
            continue
        terms.append(term)
        evidence.extend(e for e in spans if e not in evidence)
    if not terms:
        return None
    listed = " or ".join(terms) if len(terms) < 3 else ", ".join(terms[:-1]) + ", or " + terms[-1]
    return NoteSentence(text=f"The patient denies {listed}.", kind="hpi", evidence=evidence)


# Wh-questions about the course of the problem whose short answer completes a statement.
_WH = [
    (
        re.compile(
            r"\bhow long (?:has|have|did) (?P<what>this|that|it|the \w+|your \w+)"
            r"(?: \w+)? been (?:going on|happening|bothering (?:you|him|her))",
            re.I,
        ),
        "{What} has been going on {ans}.",
    ),
    (
        re.compile(
            r"\bwhen did (?P<what>this|that|it|the \w+|your \w+) (?:start|begin)"
            r"(?P<rest> \w+ing)?",
            re.I,
        ),
        "{What} started{rest} {ans}.",
    ),
]
_SHORT_ANSWER = re.compile(
    r"^\W*(?:(?:um|uh|oh|well),?\s*)*(?P<ans>(?:about|around|probably|"
    r"almost|maybe|over|like|since|for|last|yesterday|this|a|an|two|three|four|five|six|seven|"
    r"eight|nine|ten|\d)[^?]{0,40}?)\W*$",
    re.I,
)


def wh_answer(question: Unit, answer: Unit | None, gender: Gender) -> NoteSentence | None:
    """ "how long has this been going on?" / "about two weeks" -> "This has been going on for
    about 2 weeks.": the question's topic and the patient's words, both spans as evidence."""
    if answer is None or answer.speaker != "patient" or question.speaker == "patient":
        return None
    said = _SHORT_ANSWER.match(normalize_speech(answer.text))
    if said is None:
        return None
    ans = said.group("ans").rstrip(" .,")
    for pattern, form in _WH:
        match = pattern.search(question.text)
        if match is None:
            continue
        what = clinician_to_clinical(match.group("what"), gender).rstrip(".")
        if form.startswith("{What} has been") and not re.match(r"(?:for|since)\b", ans, re.I):
            ans = "for " + ans
        rest = match.groupdict().get("rest") or ""
        text = form.format(What=what[:1].upper() + what[1:], ans=ans, rest=rest)
        return NoteSentence(text=text, kind="hpi", evidence=[_ev(question), _ev(answer)])
    return None
