"""The extraction pipeline: segmentation, entities, context, attributes, codes, vitals."""

from __future__ import annotations

import bisect
from typing import Final

from clinscribe.errors import ClinscribeError
from clinscribe.nlp.core.coding import lexicon_code
from clinscribe.nlp.core.context import apply_context
from clinscribe.nlp.core.engine import ContextEngine, get_context_engine
from clinscribe.nlp.core.entities import Mention, find_mentions
from clinscribe.nlp.core.icd_displays import DISPLAYS
from clinscribe.nlp.core.lay_conditions import add_lay_mentions
from clinscribe.nlp.core.medications import medication_attributes
from clinscribe.nlp.core.schemas import (
    DRUGBANK_SYSTEM,
    ICD10CM_SYSTEM,
    MEDLINEPLUS_SYSTEM,
    Code,
    Entity,
    Extraction,
    MedicationAttributes,
    Trait,
)
from clinscribe.nlp.core.segmentation import Sentence, split_sentences
from clinscribe.nlp.core.vitals import find_vitals

MAX_TEXT_CHARS: Final = 2_000_000
_TRAIT_ORDER: Final[tuple[Trait, ...]] = (
    "SYMPTOM",
    "SIGN",
    "DIAGNOSIS",
    "NEGATION",
    "HYPOTHETICAL",
    "HISTORICAL",
    "FAMILY_HISTORY",
    "UNCERTAIN",
)


class NlpInputError(ClinscribeError, ValueError):
    """The text given to the NLP pipeline is not usable (wrong type or too long)."""

    # Still a ValueError, as it always was, for callers of the Python API that catch that.
    status_code = 422
    code = "nlp_invalid_input"


def check_text(text: object) -> str:
    """Validate pipeline input: a string of at most MAX_TEXT_CHARS characters."""
    if not isinstance(text, str):
        raise NlpInputError(f"text must be a string, not {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise NlpInputError(f"text is longer than {MAX_TEXT_CHARS} characters")
    return text


def _codes(text: str, mention: Mention) -> list[Code]:
    term = mention.term
    if term.category == "MEDICAL_CONDITION":
        code = lexicon_code(text[mention.begin : mention.end]) or term.icd10
        if code is None:
            return []
        return [Code(system=ICD10CM_SYSTEM, code=code, display=DISPLAYS.get(code, term.preferred))]
    if term.category == "MEDICATION" and term.drug is not None:
        codes = []
        if term.drug.drugbank_id:
            codes.append(
                Code(system=DRUGBANK_SYSTEM, code=term.drug.drugbank_id, display=term.drug.name)
            )
        if term.drug.medlineplus_id:
            codes.append(
                Code(
                    system=MEDLINEPLUS_SYSTEM, code=term.drug.medlineplus_id, display=term.drug.name
                )
            )
        return codes
    return []


def _sentence_index(sentences: list[Sentence], starts: list[int], pos: int) -> int | None:
    i = bisect.bisect_right(starts, pos) - 1
    if i >= 0 and sentences[i].begin <= pos < sentences[i].end:
        return i
    return None


def _answer_span(sentences: list[Sentence], idx: int) -> tuple[int, int] | None:
    """The patient's reply to the clinician question at idx (its whole next turn)."""
    question = sentences[idx]
    if question.speaker != "clinician" or not question.is_question:
        return None
    reply = [s for s in sentences[idx + 1 :] if s.turn == question.turn + 1]
    if not reply or reply[0].speaker != "patient":
        return None
    return reply[0].begin, reply[-1].end


def _attributes(
    text: str,
    sentences: list[Sentence],
    starts: list[int],
    meds: list[Mention],
    idx: int,
) -> MedicationAttributes:
    mention = meds[idx]
    s_idx = _sentence_index(sentences, starts, mention.begin)
    s_begin, s_end = (
        (sentences[s_idx].begin, sentences[s_idx].end) if s_idx is not None else (0, len(text))
    )
    attributes = medication_attributes(
        text,
        mention.begin,
        mention.end,
        s_begin,
        max(s_end, mention.end),
        meds[idx + 1].begin if idx + 1 < len(meds) else None,
        meds[idx - 1].end if idx > 0 else None,
    )
    if attributes.dosage or attributes.frequency or s_idx is None:
        return attributes
    # "are you still taking the furosemide" / "yes forty milligrams every morning"
    span = _answer_span(sentences, s_idx)
    if span is None or any(span[0] <= m.begin < span[1] for m in meds):
        return attributes
    reply = medication_attributes(text, span[0], span[0], span[0], span[1], None, None)
    return MedicationAttributes(
        dosage=reply.dosage,
        route=attributes.route or reply.route,
        frequency=reply.frequency,
        duration=attributes.duration or reply.duration,
    )


def run_extraction(text: str, engine: ContextEngine | None = None) -> Extraction:
    """Extract entities (with traits, attributes, codes) and vitals from text."""
    text = check_text(text)
    if not text.strip():
        return Extraction()
    sentences = split_sentences(text)
    mentions = add_lay_mentions(text, find_mentions(text))
    apply_context(text, sentences, mentions, engine or get_context_engine())
    starts = [s.begin for s in sentences]
    meds = [m for m in mentions if m.term.category == "MEDICATION"]
    med_index = {id(m): i for i, m in enumerate(meds)}
    entities: list[Entity] = []
    for mention in mentions:
        term = mention.term
        attributes = None
        if term.category == "MEDICATION":
            attributes = _attributes(text, sentences, starts, meds, med_index[id(mention)])
        traits = set(term.traits) | mention.traits
        entities.append(
            Entity(
                text=text[mention.begin : mention.end],
                category=term.category,
                type=term.type,
                begin=mention.begin,
                end=mention.end,
                score=round(min(1.0, mention.score), 3),
                traits=[t for t in _TRAIT_ORDER if t in traits],
                attributes=attributes,
                codes=_codes(text, mention),
            )
        )
    return Extraction(entities=entities, vitals=find_vitals(text))
