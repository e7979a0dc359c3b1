"""Faithfulness check: a note sentence's entities, numbers and negation must be in its evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence

from clinscribe.nlp.core import Entity, extract, parse_number
from clinscribe.nlp.core.numbers import NUMBER_PATTERN, TEENS, TENS, UNITS
from clinscribe.notes.core.schemas import Evidence, Faithfulness, NoteSentence
from clinscribe.notes.core.units import Prepared

_ICD = re.compile(r"\(?\b[A-Z]\d{2}(?:\.[0-9A-Z]{1,4})?\b\)?")
_ENUM = re.compile(r"^\s*\d{1,2}[.)]\s")
_SPOKEN = re.compile(rf"(?<![A-Za-z]){NUMBER_PATTERN}", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_NEGATION_CUE = re.compile(
    r"\b(?:no|not|n't|denies|denied|never|without|negative|none|nothing|nope|nah)\b|n't\b",
    re.IGNORECASE,
)


_SUFFIX = re.compile(r"(?:ies|ic|es|s|ed|ing|y)\b")
# A structural label ("Respiratory: ", "Blood pressure: ") states no fact of its own.
_LABEL = re.compile(r"^[A-Z][A-Za-z ,/&]{1,40}:\s+(?=\S)")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _SUFFIX.sub("", text.lower()))


_WORD_VALUES = {**UNITS, **TEENS, **TENS}
_WORDS = re.compile(r"\b(?:" + "|".join(_WORD_VALUES) + r")\b", re.IGNORECASE)
# Plain-language synonyms a clinical rewrite may use for what the speaker said.
_SYNONYMS = re.compile(r"\b(?:hurts?|hurting|aches?|aching|sore(?:ness)?|painful)\b", re.I)


def _numbers(text: str) -> set[float]:
    found = {float(m.group()) for m in _DIGITS.finditer(text)}
    found.update(float(_WORD_VALUES[m.group().lower()]) for m in _WORDS.finditer(text))
    for match in _SPOKEN.finditer(text):
        value = parse_number(match.group())
        if value is not None:
            found.add(float(value))
    return found


def _sentence_numbers(text: str) -> set[float]:
    text = _ICD.sub(" ", _ENUM.sub(" ", text))
    return {float(m.group()) for m in _DIGITS.finditer(text)}


def evidence_text(evidence: Sequence[Evidence], prepared: Prepared) -> str:
    """The transcript text a sentence's evidence spans cover, joined."""
    parts = []
    for ev in evidence:
        seg = prepared.segment_text.get(ev.segment, "")
        parts.append(seg[max(ev.begin, 0) : max(ev.end, 0)])
    return "\n".join(parts)


def _evidence_entities(evidence: Sequence[Evidence], prepared: Prepared) -> list[Entity]:
    out = []
    for ent, seg in zip(prepared.extraction.entities, prepared.entity_segments, strict=True):
        for ev in evidence:
            if ev.segment == seg and ev.begin <= ent.begin and ent.end <= ev.end:
                out.append(ent)
                break
    return out


def _same(a: Entity, b: Entity) -> bool:
    codes_a = {c.code for c in a.codes}
    if codes_a & {c.code for c in b.codes}:
        return True
    return _norm(a.text) == _norm(b.text)


def sentence_flags(sentence: NoteSentence, entities: list[Entity], prepared: Prepared) -> list[str]:
    """Why a sentence is not supported by its evidence (empty when it is)."""
    if not sentence.evidence:
        return ["no_evidence"]
    source = evidence_text(sentence.evidence, prepared)
    if not source.strip():
        return ["no_evidence"]
    flags: list[str] = []
    missing = _sentence_numbers(sentence.text) - _numbers(source)
    flags.extend(f"number:{n:g}" for n in sorted(missing))
    source_norm = _norm(source + " " + _SYNONYMS.sub("pain", source))
    found = _evidence_entities(sentence.evidence, prepared)
    for ent in entities:
        match = next((e for e in found if _same(ent, e)), None)
        if match is None:
            if _norm(ent.text) not in source_norm:
                flags.append(f"entity:{ent.text}")
                continue
            if "NEGATION" in ent.traits and not _NEGATION_CUE.search(source):
                flags.append(f"negation:{ent.text}")
            continue
        # Scopes differ between a sentence alone and the whole dialogue, so a mismatch only
        # counts when the other side has no negation cue at all.
        if "NEGATION" in ent.traits and "NEGATION" not in match.traits:
            if not _NEGATION_CUE.search(source):
                flags.append(f"negation:{ent.text}")
        elif (
            "NEGATION" in match.traits
            and "NEGATION" not in ent.traits
            and not _NEGATION_CUE.search(sentence.text)
        ):
            flags.append(f"negation:{ent.text}")
    return flags


def check_sentences(sentences: list[NoteSentence], prepared: Prepared) -> Faithfulness:
    """Set each sentence's flags and return the share of supported sentences."""
    if not sentences:
        return Faithfulness()
    supported = 0
    cache: dict[str, list[Entity]] = {}
    for sentence in sentences:
        # One sentence at a time: negation scopes must not leak from a neighbour.
        if sentence.text not in cache:
            cache[sentence.text] = extract(_LABEL.sub("", sentence.text)).entities
        sentence.flags = sentence_flags(sentence, cache[sentence.text], prepared)
        supported += not sentence.flags
    return Faithfulness(
        sentences=len(sentences),
        supported=supported,
        share=round(supported / len(sentences), 4),
    )
