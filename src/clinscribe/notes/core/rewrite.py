"""Conversational speech → clinical third person ("I've had this cough for 3 days" → ...)."""

from __future__ import annotations

import re
from typing import Literal

from clinscribe.nlp.core import parse_number
from clinscribe.nlp.core.numbers import NUMBER_PATTERN

Gender = Literal["female", "male"] | None

_JOIN = [
    (re.compile(r"\s+([,.?!;:%])"), r"\1"),
    (re.compile(r"\b(\w+) n't\b"), r"\1n't"),
    (re.compile(r"\b(\w+) '(s|re|ve|ll|d|m)\b"), r"\1'\2"),
    (re.compile(r"\bgon na\b|\bgonna\b"), "going to"),
    (re.compile(r"\bwan na\b|\bwanna\b"), "want to"),
    (re.compile(r"\bgot ta\b|\bgotta\b"), "have to"),
    (re.compile(r"\bkinda\b|\bsorta\b"), ""),
]
_FILLER = re.compile(
    r"\b(?:um+|uh+|hmm+|mm-?hmm|uh-?huh|you know|i mean|kind of|sort of|basically|"
    r"like i said|just|actually|really|definitely|go ahead(?: and|,)|okay|alright)\b,?\s*",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:(?:(?:and|so|okay|ok|alright|all right|well|yeah|yes|yep|now|but|oh|"
    r"great|good|sure|perfect|then|also|and then|let's see|i see|got it|hey,? dragon)\b"
    r"|right(?=[,.]))[,.]?\s*)+",
    re.IGNORECASE,
)
# Stutters: a doubled word joined by a hyphen ("I-I") and cut-off word starts ("s- s- systolic").
_STUTTER = re.compile(r"\b(\w+)-\1\b", re.IGNORECASE)
_CUTOFF = re.compile(r"(?<![\w-])[a-z]{1,3}-(?=\s)", re.IGNORECASE)
_REPEAT = re.compile(r"\b(\w+)(?:[\s,]+\1\b)+", re.IGNORECASE)
_UNIT = (
    r"(?=\s*(?:-\s*)?(?:days?|weeks?|months?|years?|hours?|minutes?|times?|mg|milligrams?|"
    r"pounds?|lbs?|percent|%|units?|tablets?|pills?|puffs?|cups?|drinks?|packs?|miles?|"
    r"degrees?|beats?|kilograms?|kg|centimeters?|cm|inches|feet|mcg|micrograms?|mls?|"
    r"milliliters?|grams?|-year|-month|-week|-day)\b|\s+(?:to|or)\s+(?:\d|"
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty)\b))"
)
_NUMBER_UNIT = re.compile(rf"\b{NUMBER_PATTERN}{_UNIT}", re.IGNORECASE)
_UNITS = [
    (re.compile(r"\bmilligrams?\b", re.I), "mg"),
    (re.compile(r"\bmicrograms?\b", re.I), "mcg"),
    (re.compile(r"\bpercent\b", re.I), "%"),
    (re.compile(r"(\d) %"), r"\1%"),
    (re.compile(r"\bx-rays?\b", re.I), "X-ray"),
    (re.compile(r"\bmri\b", re.I), "MRI"),
    (re.compile(r"\bct\b", re.I), "CT"),
    (re.compile(r"\bekg\b", re.I), "EKG"),
    (re.compile(r"\becg\b", re.I), "ECG"),
    (re.compile(r"\ba1c\b", re.I), "A1c"),
    (re.compile(r"\bcovid\b", re.I), "COVID"),
]


def normalize_speech(text: str) -> str:
    """Join tokenised contractions and punctuation, drop fillers and repeats."""
    # Fixed-size sentence windows can cut "gon na" in two.
    out = re.sub(r"\bgon$", "going to", re.sub(r"^na\b", "", text.strip()))
    for pattern, repl in _JOIN:
        out = pattern.sub(repl, out)
    out = _FILLER.sub("", out)
    out = _CUTOFF.sub("", _STUTTER.sub(r"\1", out))
    out = _REPEAT.sub(r"\1", out)
    out = _LEAD.sub("", out)
    out = _NUMBER_UNIT.sub(_digits, out)
    out = re.sub(r"\btype (one|two|1|2)\b", lambda m: "type " + _TYPE[m.group(1)], out, flags=re.I)
    for pattern, repl in _UNITS:
        out = pattern.sub(repl, out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;-")
    return out


_TYPE = {"one": "1", "two": "2", "1": "1", "2": "2"}


def _digits(match: re.Match[str]) -> str:
    value = parse_number(match.group(0))
    if value is None:
        return match.group(0)
    return str(int(value)) if value == int(value) else str(value)


def _pronouns(gender: Gender) -> dict[str, str]:
    subj = {"female": "she", "male": "he"}.get(gender or "", "the patient")
    poss = {"female": "her", "male": "his"}.get(gender or "", "the patient's")
    obj = {"female": "her", "male": "him"}.get(gender or "", "the patient")
    return {"subj": subj, "poss": poss, "obj": obj}


_PATIENT_START = [
    (
        r"^i(?:'ve| have)(?: been)? (?:had|having|got|gotten|noticed|experienced|experiencing) ",
        "Reports ",
    ),
    (r"^i(?:'m| am) (?:having|experiencing|getting|noticing) ", "Reports "),
    (r"^i(?:'ve| have) (?:been )?(?:feeling|felt) ", "Reports feeling "),
    (r"^i (?:have|get|got|had|noticed|feel|felt) ", "Reports "),
    (r"^i(?:'m| am) (?:not|no longer) ", "{subj} is not "),
    (
        r"^(?:i )?(?:do n't|don't|did n't|didn't) (?:have|had|get|notice|feel|think i have)"
        r" (?:any )?",
        "Denies ",
    ),
    (r"^i(?:'ve| have) (?:not|never) (?:had|noticed|experienced) (?:any )?", "Denies "),
    (r"^(?:no|nope),? (?:i )?(?:haven't|have not|don't|didn't)\b.*", ""),
    (r"^my ", "{Poss} "),
    (r"^it(?:'s| has) been ", "It has been "),
    (r"^it(?:'s| is) ", "It is "),
]
_SWAPS_PATIENT = [
    (r"\bi(?:'m| am)\b", "{subj} is"),
    (r"\bi(?:'ve| have)\b", "{subj} has"),
    (r"\bi(?:'ll| will)\b", "{subj} will"),
    (r"\bi(?:'d| would)\b", "{subj} would"),
    (r"\bi was\b", "{subj} was"),
    (r"\bi\b", "{subj}"),
    (r"\bmy\b", "{poss}"),
    (r"\bme\b", "{obj}"),
    (r"\bmyself\b", "{obj}self"),
]
_SWAPS_CLINICIAN = [
    # "we'll have her use crutches" → "she will use crutches", the way plans are written.
    (
        r"\bwe(?:'ll| will| are going to|'re going to) have (?:her|him|you) (?=[a-z])",
        "{subj} will ",
    ),
    (r"\byou(?:'re| are)\b", "{subj} is"),
    (r"\byou(?:'ve| have)\b", "{subj} has"),
    (r"\byou(?:'ll| will)\b", "{subj} will"),
    (r"\byou were\b", "{subj} was"),
    (r"\byour\b", "{poss}"),
    (r"\byourself\b", "{obj}self"),
    (
        r"\b(prescribe|give|send|refer|start|put|order|see|schedule|want|need|ask|like|tell|"
        r"encourage|advise|recommend|get|have|let|help|check|bring) you\b",
        r"\1 {obj}",
    ),
    (r"\byou\b", "{subj}"),
    (r"\bi(?:'m| am) going to\b", "I will"),
    (r"\bwe(?:'re| are) going to\b", "we will"),
    (r"\bi(?:'d| would) like to\b", "I will"),
    (r"\bi want to\b", "I will"),
    (r"\blet's\b", "we will"),
    (r"\bi(?:'m| am)\b", "I am"),
    (r"\bi(?:'ll)\b", "I will"),
    (r"\bi(?:'ve)\b", "I have"),
    (r"\bi\b", "I"),
]
# The clinician announcing the exam, as a whole sentence.
_EXAM_ANNOUNCE = re.compile(
    r"^(?:(?:so|now|okay|alright|and|let me go ahead|go ahead)[,.]?\s+)*(?:(?:let me|let's|i will|"
    r"i'll|i'm going to|i am going to|i want to|i'd like to|we will|we'll|we're going to|"
    r"i'm just going to)\s+)?(?:go ahead(?: and)?\s+)?(?:do|perform|take|have|use|examine)?\s*"
    r"(?:a |my |your |the )?(?:quick |brief |general |focused )?(?:physical )?"
    r"(?:exam(?:ination)?|look)?(?: template| on you| at you| now| real quick)?[.!]?$",
    re.IGNORECASE,
)
# "I do appreciate some crackles" → "crackles"; "I don't hear any murmurs" → "no murmurs".
_EXAM_SEEN = re.compile(
    r"\b(?:i|we)(?: do| also| can| could)? (?:appreciate|hear|see|feel|note|notice|say)\b"
    r"(?: that)?(?: there(?:'s| is| are))?\s*",
    re.IGNORECASE,
)
_EXAM_NEG = re.compile(
    r"\b(?:i|we) (?:do not|don't|did not|didn't|can't|cannot) (?:appreciate|hear|see|feel|note|"
    r"notice)(?: any| a)?\s+",
    re.IGNORECASE,
)
_EXAM_DROP = re.compile(
    r"^(?:on (?:your )?(?:physical )?exam(?:ination)?,?\s*|(?:when )?i (?:listen|listened|look|"
    r"looked|feel|felt|examine|examined|press|pressed|push|pushed)\w* (?:to|at|on)?\s*"
    r"(?:your )?[\w ]{0,30}?,\s*)",
    re.IGNORECASE,
)


def _apply(text: str, rules: list[tuple[str, str]], words: dict[str, str]) -> str:
    for pattern, repl in rules:
        filled = repl.format(**words, Poss=words["poss"].capitalize())
        text = re.sub(pattern, filled, text, flags=re.IGNORECASE)
    return text


def _finish(text: str) -> str:
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;-")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    text = re.sub(r"\b(the patient|she|he) has (\w+ed)\b", r"\1 has \2", text)
    if text[-1] not in ".!?":
        text += "."
    return re.sub(r"\?$", ".", text)


def patient_to_clinical(text: str, gender: Gender) -> str:
    """Rewrite a patient's sentence in clinical third person."""
    words = _pronouns(gender)
    out = normalize_speech(text)
    for pattern, repl in _PATIENT_START:
        new = re.sub(pattern, repl, out, count=1, flags=re.IGNORECASE)
        if new != out:
            out = new.format(subj=words["subj"].capitalize(), Poss=words["poss"].capitalize())
            break
    out = _apply(out, _SWAPS_PATIENT, words)
    out = re.sub(r"^Reports (?:this|that|these|the|a|an|some)\b\s*", "Reports ", out)
    out = _agree(out)
    return _finish(out)


def _third(verb: str) -> str:
    irregular = {"have": "has", "go": "goes", "do": "does", "are": "is", "were": "was"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith(("s", "ed", "ing")) or not verb.isalpha():
        return verb
    if verb.endswith(("sh", "ch", "x", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


_VERBS = (
    "have|take|feel|get|go|need|want|try|use|smoke|drink|work|live|eat|sleep|walk|run|play|"
    "exercise|think|know|notice|see|say|check|like|love|wake|hurt|experience|stay|keep|do|"
    "seem|start|continue|remember|forget|miss|wear|follow|agree|understand|deny|report|"
    "travel|enjoy|plan|hope|wonder|believe|mean|lift|cough|bleed|vomit|drive|sit|stand|"
    "monitor|watch|avoid|cook|swim|bike|hike|are|were|grip|climb|bend|kneel|squat|breathe|"
    "swallow|chew|move|twist|turn|reach|push|pull|carry|type|write|open"
)


def _agree(text: str) -> str:
    """Third-person verb agreement after a swapped subject ("she take" → "she takes")."""
    text = re.sub(
        r"\b(he|she|the patient) (?:do|does)(?: not|n't)\b", r"\1 does not", text, flags=re.I
    )
    text = re.sub(r"\b(he|she|the patient) (?:don't|dont)\b", r"\1 does not", text, flags=re.I)
    text = re.sub(r"\b(he|she|the patient) (?:haven't)\b", r"\1 has not", text, flags=re.I)
    return re.sub(
        rf"\b(he|she|the patient) ({_VERBS})\b",
        lambda m: f"{m.group(1)} {_third(m.group(2))}",
        text,
        flags=re.I,
    )


def clinician_to_clinical(text: str, gender: Gender, *, exam: bool = False) -> str:
    """Rewrite a clinician's sentence: the patient in the third person, the clinician kept."""
    words = _pronouns(gender)
    out = normalize_speech(text)
    if exam:
        if _EXAM_ANNOUNCE.match(out):
            return ""  # "I will do a quick physical exam." states no finding
        out = _EXAM_NEG.sub("no ", out)
        out = _EXAM_SEEN.sub("", out)
        out = _EXAM_DROP.sub("", out)
        out = re.sub(r"\b(?:and )?does (?:that|this|it) hurt(?: at all)?\b", "", out, flags=re.I)
        out = re.sub(r"\byou (?:do )?(?:have|had)\s+", "", out, flags=re.IGNORECASE)
        out = re.sub(r"\b(?:your|you)\b\s*", "", out, flags=re.IGNORECASE)
    out = _apply(out, _SWAPS_CLINICIAN, words)
    out = _agree(out)
    return _finish(out)


def detect_gender(texts: list[str]) -> Gender:
    """The patient's gender from how the clinician speaks about them (None when unclear)."""
    joined = " ".join(texts).lower()
    female = len(re.findall(r"\b(?:she|her|hers|female|woman|mrs|ms|lady|girl)\b", joined))
    male = len(re.findall(r"\b(?:he|him|his|male|man|mr|gentleman|boy)\b", joined))
    # One clear cue with nothing against it is enough (a greeting "hi, ms. hill" or a single
    # "she" in the clinician's summary); mixed cues stay unresolved ("the patient").
    if female >= 1 and female > 2 * male:
        return "female"
    if male >= 1 and male > 2 * female:
        return "male"
    return None


_LAY = re.compile(r"\b(?:i|i'm|my|me|when|it|hurts?|burns?|races?|going|feels?)\b", re.I)


def condition_name(text: str, displays: list[str]) -> str:
    """How a note names a condition: as said, unless the patient said it in lay words ("burns
    when i urinate"), which a note writes as the clinical concept it was coded to ("dysuria")."""
    if displays and _LAY.search(text):
        return displays[0][0].lower() + displays[0][1:]
    return normalize_speech(text)
