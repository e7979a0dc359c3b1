"""RESULTS when no sentence was classed as results: a test and its finding said inside a long
unpunctuated turn, or a test the clinician brings up and then reads out in the next sentence.

"let's look at your x-ray. hey dragon, show me the last x-ray. so what i'm seeing here is ...
you have a fracture." names the test in one sentence and the finding in the next, so neither
sentence alone parses as a result. The result is written as "X-ray: <finding>." with both
sentences as evidence; the finding keeps the clinician's words (only the lead-in goes).
"""

from __future__ import annotations

import re

from clinscribe.notes.core.results import _TEST_RE, result_span, tidy
from clinscribe.notes.core.rewrite import Gender, clinician_to_clinical
from clinscribe.notes.core.schemas import Evidence, NoteSentence
from clinscribe.notes.core.structured import ev, make_sentence
from clinscribe.notes.core.units import Unit

_SHOW = re.compile(
    r"\b(?:show me|pull up|look at|looking at|review|reviewed|go over)\b(?: (?:the|your|his|her|"
    r"our|that|those))?(?: (?:last|latest|most recent|recent))?\s+",
    re.IGNORECASE,
)
# How the clinician starts reading the image or report out.
_READ_LEAD = re.compile(
    r"^(?:(?:so|okay|ok|and|um|uh|alright|all right|well)\W+)*(?:(?:what )?(?:i|we)(?:'m| am|"
    r" are|'re)? (?:seeing|see|looking at)(?: here)? (?:is|here is|here)?\s*|"
    r"this is (?:looking at|interesting)[^,.]*[,.]?\s*|it (?:looks like|says that|says)\s*)",
    re.IGNORECASE,
)


_RADIOGRAPH = re.compile(r"radiographs?\b", re.IGNORECASE)


def _named_test(unit: Unit) -> re.Match[str] | None:
    cue = _SHOW.search(unit.text)
    if cue is None:
        return None
    return _TEST_RE.match(unit.text, cue.end()) or _RADIOGRAPH.match(unit.text, cue.end())


def shown_results(units: list[Unit], gender: Gender, limit: int = 2) -> list[NoteSentence]:
    """Test named with a review cue + the clinician's next sentence in the same turn."""
    out: list[NoteSentence] = []
    used: set[int] = set()
    for i, unit in enumerate(units):
        test = _named_test(unit)
        if unit.speaker == "patient" or len(out) >= limit or test is None or i in used:
            continue
        # The reading follows within the next few clinician sentences, after any further
        # "hey dragon, show me the last x-ray" commands.
        later = (j for j in range(i + 1, min(i + 4, len(units))) if units[j].speaker != "patient")
        j = next(
            (
                j
                for j in later
                if not _named_test(units[j]) and "dragon" not in units[j].text.lower()
            ),
            None,
        )
        # "so what I'm seeing here is ..." opens like a question but reads the result out.
        if j is None or (units[j].is_question and not _READ_LEAD.match(units[j].text)):
            continue
        used.update(range(i, j + 1))
        nxt = units[j]
        finding = clinician_to_clinical(_READ_LEAD.sub("", nxt.text), gender)
        name = clinician_to_clinical(test.group(), gender).rstrip(".")
        name = "X-ray" if _RADIOGRAPH.fullmatch(name) else name
        drafted = make_sentence(
            f"{name}: {finding[:1].lower()}{finding[1:]}", "results", [ev(unit), ev(nxt)]
        )
        if drafted is not None and len(finding.split()) >= 3:
            out.append(drafted)
    return out


_LEAD_IN = re.compile(r"^(?:review|look at|go over|we did)\s+(?:the\s+)?", re.IGNORECASE)


def spoken_results(units: list[Unit], gender: Gender) -> list[NoteSentence]:
    """Results said inside long unpunctuated turns, when no sentence was classed as results."""
    out: list[NoteSentence] = []
    for unit in units:
        if unit.speaker == "patient" or unit.is_question or len(out) >= 2:
            continue
        span = result_span(unit.text)
        if span is None:
            continue
        text = tidy(_LEAD_IN.sub("", clinician_to_clinical(unit.text[span[0] : span[1]], gender)))
        text = text[:1].upper() + text[1:]
        evidence = [
            Evidence(segment=unit.segment, begin=unit.begin + span[0], end=unit.begin + span[1])
        ]
        drafted = make_sentence(text, "results", evidence)
        if drafted is not None:
            out.append(drafted)
    return out


def fallback_results(units: list[Unit], gender: Gender) -> list[NoteSentence]:
    """Results from long turns first, else from a test brought up and read out."""
    return spoken_results(units, gender) or shown_results(units, gender)
