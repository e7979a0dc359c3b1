"""One decoder per live session, on its own thread, sharing the process-wide speech engine."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import structlog

from clinscribe.asr.core.correction import DrugCorrector
from clinscribe.asr.core.engine import StreamingAsrEngine
from clinscribe.asr.core.lexicon import MEDICAL_PROMPT
from clinscribe.asr.core.schemas import Segment, TranscribeOptions, Transcript
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.streaming.core.context import History, agrees, split_after
from clinscribe.streaming.core.metrics import CONTEXT_FALLBACKS, FINAL_LATENCY, PARTIAL_LATENCY
from clinscribe.streaming.core.partials import LocalAgreement
from clinscribe.streaming.core.vad import FRAME, Segmenter, StreamingVad, Utterance

log = structlog.get_logger(__name__)
Event = dict[str, Any]
# Told each utterance's finals and the session sample where it ended, before they are sent.
Journal = Callable[[int, list[Segment]], None]
PARTIAL_STEP = 0.25  # seconds of new speech before another partial is worth decoding
# Under load (several streams share one model) partials come less often, in proportion to
# how long one takes, so the finals of every stream keep their latency.
PARTIAL_LOAD_FACTOR = 2.0
# Earlier finals are the prompt of the next utterance, as offline decoding conditions each
# 30 s window on the text before it. On the 12 Piper dev files, streamed WER: none 9.9%,
# 20 words 9.0%, 40 words 9.0%, 100 words 8.7%. Whisper keeps at most 223 prompt tokens.
CONTEXT_WORDS = 100


class _FinalsFirst:
    """Across the streams of a process, which share one model: while a final is being
    decoded no other stream starts a partial, so finals keep their latency under load.
    Partials have room to wait (their target is 1 s, finals 2.5 s after a pause)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decoding = 0

    @contextmanager
    def final(self) -> Iterator[None]:
        with self._lock:
            self._decoding += 1
        try:
            yield
        finally:
            with self._lock:
                self._decoding -= 1

    def busy(self) -> bool:
        return self._decoding > 0


FINALS_FIRST = _FinalsFirst()


class StreamDecoder:
    """Feeds VAD, emits partials while speech goes on and final segments once it pauses."""

    def __init__(
        self,
        engine: StreamingAsrEngine,
        *,
        mode: Literal["dictation", "conversation"],
        beam_size: int,
        on_event: Callable[[Event], None],
        corrector: DrugCorrector | None = None,
        journal: Journal | None = None,
        origin: int = 0,
        segments: list[Segment] | None = None,
    ) -> None:
        """`origin` and `segments` continue a session whose finals up to `origin` are known;
        `corrector` (usually the engine's own) re-corrects finals with the drugs named so far."""
        if origin % FRAME:
            raise ValueError("origin must fall on a VAD frame")
        self.engine = engine
        self.options = TranscribeOptions(mode=mode, beam_size=beam_size)
        self.on_event = on_event
        self.journal = journal
        self.segments: list[Segment] = list(segments or [])
        self.warnings: list[str] = []
        self.received = origin  # session samples fed so far
        self._cond = threading.Condition()
        self._incoming: list[FloatArray] = []
        self._arrivals: list[tuple[int, float]] = []  # (samples received, monotonic time)
        self._closing = False
        self._vad_done = origin  # samples the VAD has seen
        self._pending = 0  # samples in closed utterances not yet decoded
        self._abandoned = False
        self._buffer = np.zeros(0, dtype=np.float32)
        self._offset = origin  # session sample index of _buffer[0]
        self._vad = StreamingVad()
        self._segmenter = Segmenter(first_frame=origin // FRAME)
        self._partials = engine.partial_decoder(MEDICAL_PROMPT)
        self._history = History()
        self._corrector = corrector
        self._partial_speech = 0  # speech end covered by the last partial
        self._agreement = LocalAgreement()
        self._last_partial = 0
        self._step = PARTIAL_STEP
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="stream-decoder", daemon=True)
        self._thread.start()

    # --- called from the event loop -------------------------------------------------------

    def feed(self, samples: FloatArray) -> None:
        """Hand new 16 kHz samples to the decoder thread (never blocks on decoding)."""
        if not len(samples):
            return
        with self._cond:
            self._incoming.append(samples)
            self.received += len(samples)
            self._arrivals.append((self.received, time.monotonic()))
            self._cond.notify()

    def backlog_seconds(self) -> float:
        """Audio received but not yet decoded as final (or dismissed as silence)."""
        with self._cond:
            # The open utterance is not backlog: it is bounded by the segmenter's maximum and
            # only closes when more audio arrives, so counting it could stall the stream.
            return (self.received - self._vad_done + self._pending) / SAMPLE_RATE

    def finish(self, timeout: float = 600.0) -> None:
        """Decode everything left and stop the thread (blocking: call it in a worker thread)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)
        if self._failure is not None:
            raise self._failure

    def abandon(self) -> None:
        """Stop without decoding what is left."""
        with self._cond:
            self._incoming.clear()
            self._abandoned = self._closing = True
            self._cond.notify()

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def transcript(self) -> Transcript:
        """The session's transcript so far: every final segment, in order."""
        return Transcript(
            text=" ".join(s.text for s in self.segments).strip(),
            language=self.options.language,
            duration=round(self.received / SAMPLE_RATE, 3),
            engine=self.engine.name,
            model=self.engine.model_name,
            segments=list(self.segments),
            mode=self.options.mode,
            warnings=sorted(set(self.warnings)),
        )

    # --- the decoder thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._incoming and not self._closing:
                        self._cond.wait()
                    new, self._incoming = self._incoming, []
                    closing = self._closing
                    if self._abandoned:
                        return
                utterances = self._absorb(new)
                if closing:
                    last = self._segmenter.flush()
                    utterances += [last] if last else []
                for utterance in utterances:
                    self._final(utterance)
                if closing:
                    return
                self._maybe_partial()
        except Exception as exc:  # reported to the client by the session; never silent
            log.exception("stream.decoder_failed")
            self._failure = exc
            self.on_event({"type": "failed"})

    def _absorb(self, new: list[FloatArray]) -> list[Utterance]:
        if not new:
            return []
        samples = np.concatenate(new)
        self._buffer = np.concatenate([self._buffer, samples])
        utterances = self._segmenter.push(self._vad(samples))
        open_start = self._segmenter.open_start
        # Keep the pre-roll an utterance starting on the next frame will reach back into.
        margin = int(2 * self._segmenter.config.pre_pad * SAMPLE_RATE)
        done = self._segmenter.frames * FRAME - margin if open_start is None else open_start
        keep = max(self._offset, min([u.start for u in utterances] + [done]))
        self._trim(keep)
        with self._cond:
            self._vad_done = self._segmenter.frames * FRAME
            self._pending += sum(u.end - u.start for u in utterances)
        return utterances

    def _trim(self, keep: int) -> None:
        # Recent final utterances stay in the buffer as audio context for the next one.
        keep = self._history.floor(keep)
        if keep > self._offset:
            self._buffer = self._buffer[keep - self._offset :]
            self._offset = keep
        with self._cond:
            cut = bisect.bisect_left(self._arrivals, (keep, 0.0))
            del self._arrivals[: max(0, cut - 1)]

    def _arrival(self, sample: int) -> float:
        with self._cond:
            index = bisect.bisect_left(self._arrivals, (sample, 0.0))
            return self._arrivals[min(index, len(self._arrivals) - 1)][1]

    def _clip(self, start: int, end: int) -> FloatArray:
        return self._buffer[max(0, start - self._offset) : max(0, end - self._offset)]

    def _final(self, utterance: Utterance) -> None:
        self._agreement.reset()
        self._last_partial = 0
        self._partial_speech = 0
        first = len(self.segments)
        if utterance.end - utterance.start >= SAMPLE_RATE // 10:
            with FINALS_FIRST.final():
                heard = self._hear(utterance)
            for segment in self._recorrect(heard):
                self.segments.append(segment.model_copy(update={"id": len(self.segments)}))
            finals = self.segments[first:]
            if self.journal is not None:
                self.journal(utterance.end, finals)
            for segment in finals:
                self.on_event(final_event(segment))
            if finals:
                FINAL_LATENCY.observe(time.monotonic() - self._arrival(utterance.speech_end))
        self._history.add(utterance.start, first)
        self._trim(max(self._offset, utterance.end))
        with self._cond:
            self._pending -= utterance.end - utterance.start

    def _hear(self, utterance: Utterance) -> list[Segment]:
        """The utterance's segments, timed from the session start; see streaming/context.py."""
        heard = self._history.context(utterance.start, utterance.end, self._offset)
        if heard is not None:
            # Same pipeline as offline (guards, drug correction, targeted biasing).
            result = self.engine.transcribe(
                self._clip(heard.start, utterance.end),
                options=self._final_options(self.segments[: heard.first]),
            )
            sent = " ".join(s.text for s in self.segments[heard.first :])
            boundary = (utterance.start - heard.start) / SAMPLE_RATE
            again, new = split_after(result.segments, sent, boundary)
            if new and agrees(" ".join(s.text for s in again), sent):
                self._warn(result)
                return [_shift(s, heard.start / SAMPLE_RATE) for s in new]
            CONTEXT_FALLBACKS.inc()
        result = self.engine.transcribe(
            self._clip(utterance.start, utterance.end),
            options=self._final_options(self.segments),
        )
        self._warn(result)
        return [_shift(s, utterance.start / SAMPLE_RATE) for s in result.segments]

    def _warn(self, result: Transcript) -> None:
        self.warnings.extend(w for w in result.warnings if w != "no speech detected")

    def _final_options(self, before: list[Segment]) -> TranscribeOptions:
        """Prompted with the medical prompt and the text before the clip, as offline decoding
        conditions each 30 s window on the text before it."""
        words = " ".join(s.text for s in before[-20:]).split()[-CONTEXT_WORDS:]
        if not words:
            return self.options
        prompt = f"{MEDICAL_PROMPT} {' '.join(words)}"
        return self.options.model_copy(update={"initial_prompt": prompt})

    def _recorrect(self, segments: list[Segment]) -> list[Segment]:
        """Offline correction prefers drugs named clearly elsewhere in the recording; a live
        session knows the ones named so far, so new finals get the same preference."""
        if self._corrector is None or not self.segments or not segments:
            return segments
        prior = self._corrector.mentioned([*self.segments, *segments])
        return [self._corrector.correct_segment(s, prior) for s in segments] if prior else segments

    def _maybe_partial(self) -> None:
        start = self._segmenter.open_start
        end = self._offset + len(self._buffer)
        if start is None or end - max(start, self._last_partial) < self._step * SAMPLE_RATE:
            return
        # Nothing new was said since the last partial: decoding the pause would only delay
        # the final that is about to close the utterance.
        speech = self._segmenter.speech_end
        if speech <= self._partial_speech or FINALS_FIRST.busy():
            return
        self._partial_speech = speech
        began = time.monotonic()
        text = self._partials.decode(self._clip(start, end))
        self._last_partial = end
        if not text:
            # Usually the first few hundred ms of speech, too little to read a word from: try
            # again as soon as a little more has come (the first partial is the one waited on).
            self._step = PARTIAL_STEP
            return
        self._step = max(PARTIAL_STEP, PARTIAL_LOAD_FACTOR * (time.monotonic() - began))
        shown, stable = self._agreement.update(text)
        self.on_event(
            {
                "type": "partial",
                "text": shown,
                "start": round(start / SAMPLE_RATE, 3),
                "end": round(end / SAMPLE_RATE, 3),
                "stable": stable,
            }
        )
        PARTIAL_LATENCY.observe(time.monotonic() - self._arrival(end))


def final_event(segment: Segment) -> Event:
    """The `final` message of the streaming contract for one segment."""
    return {"type": "final", "segment": segment.model_dump(mode="json")}


def _shift(segment: Segment, offset: float) -> Segment:
    words = [
        w.model_copy(update={"start": round(w.start + offset, 3), "end": round(w.end + offset, 3)})
        for w in segment.words
    ]
    corrections = [
        c.model_copy(update={"start": round(c.start + offset, 3), "end": round(c.end + offset, 3)})
        for c in segment.corrections
    ]
    return segment.model_copy(
        update={
            "start": round(segment.start + offset, 3),
            "end": round(segment.end + offset, 3),
            "words": words,
            "corrections": corrections,
        }
    )
