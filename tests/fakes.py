"""Small fakes of the engine protocols, offered to the code through the engine factories.

Each fake implements the same protocol as the real engine (`AsrEngine`, `StreamingAsrEngine`,
`ContextEngine`, `PhiEngine`, `EhrClient`) and is selected the way an operator selects an
engine: registered under a name, then named in the settings. Nothing is monkeypatched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clinscribe.asr.core.correction import DrugCorrector
from clinscribe.asr.core.engine import PartialDecoding
from clinscribe.asr.core.schemas import Segment, TranscribeOptions, Transcript, Word
from clinscribe.asr.engines import LocalEngineSpec, register_local_engine
from clinscribe.audio.decode import SAMPLE_RATE, DecodedAudio, FloatArray
from clinscribe.config import Settings
from clinscribe.fhir import core as fhir
from clinscribe.fhir.destination import register_ehr_client
from clinscribe.nlp.core.engine import (
    ContextCategory,
    PhiHit,
    register_context_engine,
    register_phi_engine,
)


class FakeAsrEngine:
    """An `AsrEngine` that hears `text` in every clip: one segment spanning the clip."""

    name = "fake-asr"
    model_name = "fake-model"

    def __init__(self, text: str = "Fake words heard.") -> None:
        self.text = text
        self.loaded = 0
        self.calls: list[tuple[float, TranscribeOptions]] = []  # (clip seconds, options)

    def load(self) -> None:
        self.loaded += 1

    def transcribe(
        self, audio: DecodedAudio | FloatArray, *, options: TranscribeOptions | None = None
    ) -> Transcript:
        opts = options or TranscribeOptions()
        samples = audio.samples if isinstance(audio, DecodedAudio) else audio
        seconds = round(len(samples) / SAMPLE_RATE, 3)
        self.calls.append((seconds, opts))
        parts = self.text.split()
        step = seconds / len(parts)
        words = [
            Word(
                start=round(i * step, 3),
                end=round((i + 1) * step, 3),
                word=f" {w}",
                probability=0.9,
            )
            for i, w in enumerate(parts)
        ]
        segments = [Segment(id=0, start=0.0, end=seconds, text=self.text, words=words)]
        return Transcript(
            text=self.text,
            language=opts.language,
            duration=seconds,
            engine=self.name,
            model=self.model_name,
            segments=segments if seconds > 0 else [],
            mode=opts.mode,
        )


@dataclass
class FakePartials:
    """Partial hypotheses: the first word of the engine's text, for any clip."""

    text: str
    clips: int = 0

    def decode(self, clip: FloatArray) -> str:
        self.clips += 1
        return self.text.split()[0]


class FakeStreamingEngine(FakeAsrEngine):
    """A `StreamingAsrEngine`: the fake above plus partial decoding and no corrector."""

    def __init__(self, text: str = "Fake words heard.") -> None:
        super().__init__(text)
        self.prompts: list[str] = []
        self.partials = FakePartials(text)

    def partial_decoder(self, prompt: str) -> PartialDecoding:
        self.prompts.append(prompt)
        return self.partials

    @property
    def corrector(self) -> DrugCorrector | None:
        return None


@dataclass
class BuiltEngines:
    """What the ASR factory asked a fake builder for."""

    engine: FakeAsrEngine
    specs: list[LocalEngineSpec] = field(default_factory=list)

    def build(self, spec: LocalEngineSpec) -> FakeAsrEngine:
        self.specs.append(spec)
        self.engine.load()
        return self.engine


def use_fake_asr(settings: Settings, engine: FakeAsrEngine, name: str = "fake") -> BuiltEngines:
    """Register `engine` as local engine `name` (dropping engines built before under it);
    settings with `asr_local_engine=name` then get it from `AsrEngineProvider`."""
    built = BuiltEngines(engine)
    register_local_engine(name, built.build)
    return built


class FakeContextEngine:
    """A `ContextEngine` that negates every target whose label is in `negated`."""

    def __init__(self, negated: Sequence[str] = ()) -> None:
        self.negated = set(negated)
        self.calls = 0

    def assess(
        self,
        text: str,
        sentences: Sequence[tuple[int, int]],
        targets: Sequence[tuple[int, int, str]],
    ) -> list[set[ContextCategory]]:
        self.calls += 1
        return [
            {"NEGATED_EXISTENCE"} if label in self.negated else set() for _, _, label in targets
        ]


class FakePhiEngine:
    """A `PhiEngine` that reports each occurrence of the given words as a PERSON."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.texts: list[str] = []

    def analyze(self, text: str) -> list[PhiHit]:
        self.texts.append(text)
        hits = []
        for name in self.names:
            start = text.find(name)
            while start >= 0:
                hits.append(PhiHit(start, start + len(name), "PERSON", 0.99))
                start = text.find(name, start + 1)
        return hits


def use_fake_nlp(context: FakeContextEngine, phi: FakePhiEngine, name: str = "fake") -> None:
    """Register both fakes as NLP engines `name` (settings select them by that name)."""
    register_context_engine(name, lambda: context)
    register_phi_engine(name, lambda: phi)


@dataclass
class FakeEhrClient:
    """An `EhrClient` that answers each post with the next planned result (then success)."""

    config: fhir.EndpointConfig
    plan: list[fhir.DeliveryResult]
    bundles: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def post_bundle(self, bundle: dict[str, Any]) -> fhir.DeliveryResult:
        self.bundles.append(bundle)
        if self.plan:
            return self.plan.pop(0)
        return fhir.DeliveryResult(outcome="success", status_code=200, locations=["Bundle/1"])

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeEhr:
    """The clients the destination factory built, one per delivery attempt."""

    plan: list[fhir.DeliveryResult] = field(default_factory=list)
    clients: list[FakeEhrClient] = field(default_factory=list)

    def build(self, config: fhir.EndpointConfig) -> FakeEhrClient:
        client = FakeEhrClient(config, self.plan)
        self.clients.append(client)
        return client

    @property
    def bundles(self) -> list[dict[str, Any]]:
        return [b for c in self.clients for b in c.bundles]


def use_fake_ehr(ehr: FakeEhr, name: str = "fake") -> None:
    """Register `ehr` as EHR client `name` (settings select it with `delivery_client`)."""
    register_ehr_client(name, ehr.build)
