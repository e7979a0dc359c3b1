"""Clinical NLP: entities, context traits, medication attributes, vitals, ICD-10-CM, PHI.

Public API::

    extract(text, engines=None) -> Extraction
    deidentify(text, mode="redact", engines=None) -> DeidResult  # {"text": ..., "phi": [...]}
    find_phi(text, engines=None) -> list[PhiSpan]
    suggest_icd10(term, limit=5) -> list[CodeCandidate]
    split_sentences(text) -> list[Sentence]
    warm_up(phi=True, engines=None) -> None

Heavy engines (medspaCy ConText, Presidio + spaCy) load lazily, once per process; `engines`
is the `NlpEngineProvider` of a configuration (None: the default engines).
"""

from __future__ import annotations

from clinscribe.nlp.core.coding import suggest_icd10
from clinscribe.nlp.core.engine import NlpEngineConfig, NlpEngineProvider
from clinscribe.nlp.core.entities import load_lexicon
from clinscribe.nlp.core.numbers import parse_number
from clinscribe.nlp.core.phi import deidentify_text
from clinscribe.nlp.core.phi import find_phi as find_phi_spans
from clinscribe.nlp.core.pipeline import MAX_TEXT_CHARS, NlpInputError, check_text, run_extraction
from clinscribe.nlp.core.schemas import (
    Code,
    CodeCandidate,
    DeidMode,
    DeidResult,
    Entity,
    Extraction,
    MedicationAttributes,
    PhiSpan,
    Vital,
)
from clinscribe.nlp.core.segmentation import Sentence, split_sentences, split_turns
from clinscribe.nlp.core.surrogates import SurrogateGenerator


def extract(text: str, *, engines: NlpEngineProvider | None = None) -> Extraction:
    """Clinical entities (with traits, attributes and codes) and vitals in a text."""
    return run_extraction(text, (engines or NlpEngineProvider()).context_engine())


def find_phi(text: str, *, engines: NlpEngineProvider | None = None) -> list[PhiSpan]:
    """PHI spans (HIPAA Safe Harbor identifiers) in a text."""
    return find_phi_spans(check_text(text), (engines or NlpEngineProvider()).phi_engine())


def deidentify(
    text: str,
    mode: DeidMode = "redact",
    *,
    key: bytes | None = None,
    engines: NlpEngineProvider | None = None,
) -> DeidResult:
    """De-identify text: "redact" ([NAME]), "mask" (****) or "surrogate" (consistent fakes).

    ``key`` makes surrogates repeatable across calls; without it they vary per call.
    """
    if mode not in ("redact", "mask", "surrogate"):
        raise NlpInputError(f"unknown de-identification mode: {mode!r}")
    engine = (engines or NlpEngineProvider()).phi_engine()
    return deidentify_text(
        check_text(text), mode, engine=engine, surrogates=SurrogateGenerator(key)
    )


def warm_up(phi: bool = True, *, engines: NlpEngineProvider | None = None) -> None:
    """Load lexicons and engines now instead of on the first request."""
    provider = engines or NlpEngineProvider()
    load_lexicon()
    provider.context_engine()
    if phi:
        find_phi_spans("Seen by Dr. Warm Up on March 3rd.", provider.phi_engine())


__all__ = [
    "MAX_TEXT_CHARS",
    "Code",
    "CodeCandidate",
    "DeidMode",
    "DeidResult",
    "Entity",
    "Extraction",
    "MedicationAttributes",
    "NlpEngineConfig",
    "NlpEngineProvider",
    "NlpInputError",
    "PhiSpan",
    "Sentence",
    "SurrogateGenerator",
    "Vital",
    "deidentify",
    "extract",
    "find_phi",
    "parse_number",
    "split_sentences",
    "split_turns",
    "suggest_icd10",
    "warm_up",
]
