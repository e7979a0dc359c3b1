"""Acoustic scores of candidate wordings: the same answer with one encoder pass per clip."""

from __future__ import annotations

from typing import Any

from clinscribe.asr.core.engine import FasterWhisperEngine
from clinscribe.asr.core.scoring import ClipScorer, score_candidates
from clinscribe.audio.decode import decode_audio
from tests.unit.asr.asr_media import Clips


class CountingModel:
    """The real model, counting its encoder passes."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.encodes = 0

    def encode(self, features: Any) -> Any:
        self.encodes += 1
        return self._model.encode(features)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def test_a_clip_scored_again_reuses_its_encoding_and_gives_the_same_scores(
    engine: FasterWhisperEngine, clips: Clips
) -> None:
    samples = decode_audio(clips.piper_dictation).samples
    first = [
        "The patient takes metformin 500 milligrams twice daily.",
        "The patient takes metronidazole 500 milligrams twice daily.",
    ]
    second = ["Blood pressure is 120 over 80.", "Blood pressure is 120 over 90."]
    counting = CountingModel(engine.model)
    scorer = ClipScorer(counting)
    got = scorer(samples, first) + scorer(samples, second)
    assert counting.encodes == 1
    want = score_candidates(engine.model, samples, first + second)
    assert got == want
    # The audio decides: the words said fit better than a sound-alike drug, or another number.
    assert got[0] > got[1] and got[2] > got[3]
    # Another clip is encoded on its own.
    scorer(samples[: len(samples) // 2], first)
    assert counting.encodes == 2
    assert scorer(samples, []) == []
