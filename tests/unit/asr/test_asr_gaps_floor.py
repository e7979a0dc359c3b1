"""Accuracy floor for the coverage stage: on a few scripted clips (sentences of the lost-speech
corpus, bench/data/asr_gaps/sentences.txt, with pauses between them), no stretch of speech is
missing from the transcript unless a gap marks it, no gap is marked where words were heard,
and WER stays at or under the recorded value.
"""

from __future__ import annotations

from pathlib import Path

import jiwer
import numpy as np
import pytest

from clinscribe.asr.core import FasterWhisperEngine
from clinscribe.asr.core.coverage import gap_ranges
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from tests.unit.asr.asr_media import espeak_wav, piper_wav, read_wav, resample

SENTENCES = Path(__file__).resolve().parents[3] / "bench" / "data" / "asr_gaps" / "sentences.txt"
CLIPS = (  # (voice, sentence numbers, pause seconds after each)
    ("piper", (3, 4, 5), (0.15, 1.5)),
    ("espeak", (27, 28, 37), (0.8, 0.15)),
    ("piper", (12, 13, 19, 20), (3.0, 0.4, 0.15)),
)
LOST_RUN = 3  # consecutive reference words missing: a lost stretch
# Recorded on these clips: 0.220 (tiny.en, beam 5; digits against spelled-out numbers count as
# errors here, as this test does not normalise numbers). The same code and audio give 0.229 on
# another x86 host (CTranslate2's int8 kernels differ by CPU: one word in 109), so the floor
# admits both hosts and still fails on a loss of two more words.
WER_FLOOR = 0.235


def _sentences() -> list[str]:
    lines = SENTENCES.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _norm(text: str) -> list[str]:
    return [w.strip(".,?!").lower() for w in text.split() if w.strip(".,?!")]


@pytest.fixture(scope="module")
def scripted(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[FloatArray, list[tuple[float, float, str]]]]:
    root = tmp_path_factory.mktemp("gap-floor")
    text = _sentences()
    out = []
    for n, (voice, picks, pauses) in enumerate(CLIPS):
        parts: list[FloatArray] = [np.zeros(SAMPLE_RATE // 2, dtype=np.float32)]
        spans, cursor = [], 0.5
        for k, (pick, pause) in enumerate(zip(picks, [*pauses, 1.0], strict=True)):
            make = piper_wav if voice == "piper" else espeak_wav
            audio = resample(*read_wav(make(text[pick], root / f"{n}_{k}.wav")))
            spans.append((cursor, cursor + len(audio) / SAMPLE_RATE, text[pick]))
            parts += [audio, np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)]
            cursor += (len(audio) + int(pause * SAMPLE_RATE)) / SAMPLE_RATE
        out.append((np.concatenate(parts), spans))
    return out


@pytest.mark.accuracy
def test_no_unmarked_lost_speech_and_no_false_gaps_on_scripted_clips(
    engine: FasterWhisperEngine,
    scripted: list[tuple[FloatArray, list[tuple[float, float, str]]]],
) -> None:
    refs, hyps, unmarked, false_gaps = [], [], [], []
    for audio, spans in scripted:
        transcript = engine.transcribe(audio)
        gaps = gap_ranges(transcript.segments)
        ref_words = [item for a, b, t in spans for item in _spread(_norm(t), a, b)]
        ref = " ".join(w for w, _, _ in ref_words)
        hyp = " ".join(_norm(transcript.text))
        refs.append(ref)
        hyps.append(hyp)
        lost = [
            (ref_words[c.ref_start_idx][1], ref_words[c.ref_end_idx - 1][2])
            for c in jiwer.process_words(ref, hyp or "-").alignments[0]
            if c.type == "delete" and c.ref_end_idx - c.ref_start_idx >= LOST_RUN
        ]
        unmarked += [r for r in lost if not any(_near(r, g) for g in gaps)]
        false_gaps += [g for g in gaps if not any(_near(r, g) for r in lost)]
    assert unmarked == []
    assert false_gaps == []
    assert jiwer.wer(refs, hyps) <= WER_FLOOR


def _spread(words: list[str], start: float, end: float) -> list[tuple[str, float, float]]:
    total = sum(len(w) + 1 for w in words)
    out, cursor = [], start
    for w in words:
        length = (end - start) * (len(w) + 1) / total
        out.append((w, cursor, cursor + length))
        cursor += length
    return out


def _near(run: tuple[float, float], gap: tuple[float, float]) -> bool:
    return run[0] < gap[1] + 0.5 and gap[0] < run[1] + 0.5
