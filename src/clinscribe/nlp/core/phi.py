"""PHI detection (HIPAA Safe Harbor identifiers) and de-identification.

Presidio's spaCy NER supplies names, places, organisations and dates; pattern recognizers
add what it lacks (MRN, IDs, street addresses, phone variants, ages over 89, spoken dates,
lower-case ASR names). Clinical false positives are removed: drug names, condition and
procedure terms, eponyms ("Parkinson disease", but not "Dr. Parkinson"), durations and
lab values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Final

from clinscribe.nlp.core.engine import PhiEngine, get_phi_engine
from clinscribe.nlp.core.entities import load_lexicon, tokenize
from clinscribe.nlp.core.phi_context import locations, names, organizations
from clinscribe.nlp.core.phi_gazetteers import first_names, surnames
from clinscribe.nlp.core.phi_patterns import ORDINAL_WORDS, STATE_NAMES, name_hits, pattern_hits
from clinscribe.nlp.core.phi_spoken import (
    spelled_sequences,
    spoken_addresses,
    spoken_ages_and_dates,
    spoken_web,
)
from clinscribe.nlp.core.schemas import DeidMode, DeidResult, PhiSpan, PhiType
from clinscribe.nlp.core.surrogates import SurrogateGenerator
from clinscribe.nlp.core.vocabulary import is_english

_PRESIDIO_TYPES: Final[dict[str, PhiType]] = {
    "PERSON": "NAME",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "DATE_TIME": "DATE",
    "PHONE_NUMBER": "PHONE",
    "IP_ADDRESS": "IP",
    "US_SSN": "SSN",
}
# Lower number wins on overlap; statistical NER types lose to patterns.
_PRIORITY: Final[dict[PhiType, int]] = {
    "EMAIL": 0,
    "URL": 1,
    "SSN": 2,
    "MRN": 3,
    "ID": 4,
    "PHONE": 5,
    "IP": 6,
    "ADDRESS": 7,
    "AGE_OVER_89": 8,
    "DATE": 9,
    "NAME": 10,
    "ORGANIZATION": 11,
    "LOCATION": 12,
}
_EPONYM_HEADS: Final = frozenset(
    [
        "disease",
        "syndrome",
        "palsy",
        "sign",
        "test",
        "maneuver",
        "manoeuvre",
        "criteria",
        "score",
        "scale",
        "reflex",
        "fracture",
        "phenomenon",
        "procedure",
        "operation",
        "disorder",
        "ulcer",
        "lymphoma",
        "sarcoma",
        "tumor",
        "tumour",
        "node",
        "nodes",
        "contracture",
    ]
)
_DATE_SHAPE: Final = re.compile(
    r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d|the|of|[a-z]+(?:st|nd|rd|th)\b)|"
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
    # Spoken: "june ninth", "august twenty eighth", "the second of february".
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(?:the\s+)?"
    rf"(?:{ORDINAL_WORDS}|twenty|thirty|one|two|three|four|five|six|seven|eight|nine|ten)\b|"
    rf"\b{ORDINAL_WORDS}\s+of\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    re.IGNORECASE,
)
_TITLE_BEFORE: Final = re.compile(r"(?:dr|doctor|mr|mrs|ms|miss|prof)\.?\s*$", re.IGNORECASE)
_MAX_CHUNK: Final = 100_000
_CONTEXT_SCORE: Final = 0.86  # distinct from Presidio's 0.85 NER score
_NON_NAMES: Final = frozenset(
    [
        "doctor",
        "doc",
        "patient",
        "nurse",
        "sir",
        "ma'am",
        "mom",
        "dad",
        "everyone",
        "there",
        "guys",
        "folks",
        "okay",
        "ok",
        "yes",
        "no",
        "hey",
        "hi",
        "um",
        "uh",
        "hmm",
        "yeah",
        "gon",
        "na",
        "wan",
        "gotta",
        "kinda",
        "sorta",
        "lemme",
        "dunno",
    ]
)


def _is_common_word(word: str) -> bool:
    word = word.split("'")[0] if "'" in word else word  # i'm, i'll, we're
    lexicon = load_lexicon()
    return (
        word in _NON_NAMES
        or is_english(word)
        or lexicon.knows(word)
        or lexicon.drugs.get(word) is not None
    )


def _clinical_term(span_text: str) -> bool:
    """True when the span is a drug, condition, procedure or anatomy term."""
    words = tokenize(span_text)
    if not words:
        return True
    lexicon = load_lexicon()
    hit = lexicon.longest(words, 0)
    if hit is not None and hit[0] == len(words):
        return True
    return all(lexicon.drugs.get(w.text) is not None for w in words)


def _false_positive(text: str, begin: int, end: int, phi_type: PhiType) -> bool:
    span = text[begin:end]
    if phi_type == "DATE":
        return not _DATE_SHAPE.search(span)
    if phi_type not in ("NAME", "ORGANIZATION", "LOCATION"):
        return False
    if any(ch.isdigit() for ch in span) and phi_type != "LOCATION":
        return True
    titled = bool(_TITLE_BEFORE.search(text[max(0, begin - 10) : begin]))
    following = tokenize(text[end : end + 30])
    if following and following[0].text in _EPONYM_HEADS and not titled:
        return True
    if phi_type == "LOCATION" and span.lower().strip(". ") in STATE_NAMES:
        return True
    words = [w.text for w in tokenize(span)]
    if not titled and all(w in _NON_NAMES or "'" in w for w in words):
        return True
    if not titled and words and load_lexicon().knows(words[-1]) and not span[:1].isupper():
        return True  # lower-case ASR phrases such as "mcp joint", "palmar vein"
    if titled and phi_type == "NAME":
        return False
    if phi_type == "ORGANIZATION" and len(span) <= 5 and span.isupper():
        return True  # clinical abbreviations (BP, HTN, COPD, MRI) tagged as organisations
    return _clinical_term(span)


def _common_single_word(text: str, begin: int, end: int) -> bool:
    """A lone capitalised English word the small NER model took for a name ("Email ...")."""
    words = tokenize(text[begin:end])
    if len(words) != 1 or not _is_common_word(words[0].text):
        return False
    return not _TITLE_BEFORE.search(text[max(0, begin - 10) : begin])


def _candidates(text: str, engine: PhiEngine) -> list[tuple[int, int, PhiType, float]]:
    found: list[tuple[int, int, PhiType, float]] = []
    for offset, chunk in _chunks(text):
        for hit in engine.analyze(chunk):
            phi_type = _PRESIDIO_TYPES.get(hit.entity)
            begin, end = hit.begin + offset, hit.end + offset
            if phi_type == "NAME" and _common_single_word(text, begin, end):
                continue
            if phi_type is not None:
                found.append((begin, end, phi_type, hit.score))
    found.extend((b, e, t, 0.95) for b, e, t in pattern_hits(text))
    found.extend((b, e, "NAME", 0.9) for b, e in name_hits(text, _is_common_word))
    found.extend(_spoken_candidates(text))
    return found


def _spoken_candidates(text: str) -> list[tuple[int, int, PhiType, float]]:
    """Lower-case and spoken PHI (their score marks them as context-licensed)."""
    stop = _stop_words()
    found: list[tuple[int, int, PhiType, float]] = []
    for hits in (
        spoken_web(text),
        spelled_sequences(text),
        spoken_addresses(text, stop),
        spoken_ages_and_dates(text),
        organizations(text, _is_common_word, stop),
    ):
        found.extend((b, e, t, _CONTEXT_SCORE) for b, e, t in hits)
    for b, e, licensed in names(text, _is_common_word, stop):
        found.append((b, e, "NAME", _CONTEXT_SCORE if licensed else 0.84))
    for b, e in locations(text, _is_common_word, stop):
        found.append((b, e, "LOCATION", _CONTEXT_SCORE))
    return found


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | frozenset(["okay", "ok", "yeah", "um", "uh", "so"])


def _chunks(text: str) -> Iterable[tuple[int, str]]:
    """Split very long text at line breaks so the NER model's length limit is never hit."""
    start = 0
    while start < len(text):
        end = min(len(text), start + _MAX_CHUNK)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


def _trim(text: str, begin: int, end: int) -> tuple[int, int]:
    while begin < end and not text[begin].isalnum() and text[begin] not in "(+#":
        begin += 1
    while end > begin and not text[end - 1].isalnum() and text[end - 1] not in ")":
        end -= 1
    return begin, end


def _resolve(text: str, candidates: list[tuple[int, int, PhiType, float]]) -> list[PhiSpan]:
    ordered = sorted(candidates, key=lambda c: (_PRIORITY[c[2]], -(c[1] - c[0]), c[0]))
    chosen: list[PhiSpan] = []
    for begin, end, phi_type, score in ordered:
        begin, end = _trim(text, begin, end)
        if begin >= end:
            continue
        trusted = score == _CONTEXT_SCORE
        if not trusted and _false_positive(text, begin, end, phi_type):
            continue
        if any(begin < s.end and s.begin < end for s in chosen):
            continue
        chosen.append(
            PhiSpan(text=text[begin:end], type=phi_type, begin=begin, end=end, score=score)
        )
    return sorted(chosen, key=lambda s: s.begin)


def _repeat_names(text: str, spans: list[PhiSpan]) -> list[tuple[int, int, PhiType, float]]:
    """Other mentions of a detected name ("thanks deshawn" after "my name is deshawn")."""
    words: set[str] = set()
    for s in (s for s in spans if s.type == "NAME"):
        tokens = [w.text.lower() for w in tokenize(s.text)]
        # A full name ("theo lindqvist") vouches for its parts even when one is also an
        # English word, as long as the Census knows it as a name ("nice to meet you theo").
        full = len(tokens) >= 2
        words.update(
            w
            for w in tokens
            if len(w) >= 3
            and (
                not _is_common_word(w)
                or (full and (w in first_names() or w in surnames()) and w not in _NON_NAMES)
            )
        )
    if not words:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(words))) + r")\b", re.I)
    return [(m.start(), m.end(), "NAME", 0.8) for m in pattern.finditer(text)]


def find_phi(text: str, engine: PhiEngine | None = None) -> list[PhiSpan]:
    """PHI spans in text, non-overlapping, in order."""
    if not text.strip():
        return []
    candidates = _candidates(text, engine or get_phi_engine())
    spans = _resolve(text, candidates)
    return _resolve(text, candidates + _repeat_names(text, spans))


def deidentify_text(
    text: str,
    mode: DeidMode = "redact",
    *,
    engine: PhiEngine | None = None,
    surrogates: SurrogateGenerator | None = None,
) -> DeidResult:
    """Replace PHI by ``[TYPE]`` (redact), asterisks (mask) or consistent surrogates."""
    spans = find_phi(text, engine)
    generator = surrogates or SurrogateGenerator()
    parts: list[str] = []
    last = 0
    for span in spans:
        parts.append(text[last : span.begin])
        if mode == "redact":
            parts.append(f"[{span.type}]")
        elif mode == "mask":
            parts.append("".join("*" if not ch.isspace() else ch for ch in span.text))
        else:
            parts.append(generator.replace(span.type, span.text))
        last = span.end
    parts.append(text[last:])
    return DeidResult(text="".join(parts), phi=spans)


__all__ = ["deidentify_text", "find_phi"]
