"""Streaming Silero VAD and the utterance segmenter that decides when a segment is final."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

FRAME = 512  # Silero's frame at 16 kHz: 32 ms
CONTEXT = 64
FRAME_SECONDS = FRAME / SAMPLE_RATE


class StreamingVad:
    """Silero speech probabilities per 32 ms frame, keeping the model state across calls."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model  # type: ignore[import-untyped]

        # The ONNX session is process-wide and thread-safe; the recurrent state is ours.
        self._session = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)

    def __call__(self, samples: FloatArray) -> FloatArray:
        audio = np.concatenate([self._rest, samples]) if len(self._rest) else samples
        count = len(audio) // FRAME
        self._rest = np.array(audio[count * FRAME :], dtype=np.float32)
        if not count:
            return np.zeros(0, dtype=np.float32)
        frames = np.asarray(audio[: count * FRAME], dtype=np.float32).reshape(count, FRAME)
        contexts = np.concatenate([self._context[None, :], frames[:-1, -CONTEXT:]])
        self._context = frames[-1, -CONTEXT:].copy()
        batch = np.concatenate([contexts, frames], axis=1)
        out, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        return np.asarray(out, dtype=np.float32).reshape(-1)


@dataclass(frozen=True)
class Utterance:
    """A stretch of audio to decode as final, in samples of the session's audio."""

    start: int
    end: int
    speech_end: int  # where speech stopped: latency is measured from its arrival


@dataclass(frozen=True)
class SegmenterConfig:
    """Silence needed to close an utterance: a sentence-sized pause, so finals keep coming."""

    threshold: float = 0.5
    release: float = 0.35  # hysteresis: speech continues until the probability drops below
    pre_pad: float = 0.3
    post_pad: float = 0.2
    # (utterance seconds below which, silence seconds needed). A final is due 2.5 s after
    # the end of its own speech, so an utterance closes on the pause after each sentence
    # (0.25 s: a dictating voice pauses longer between sentences than at a comma), and the
    # audio context of finals (context.py) gives Whisper the earlier sentences to hear it
    # with. Only a fragment under 1.5 s waits for a clear 0.5 s pause. On the tuning half of
    # bench/data/stream (Piper), streamed WER against offline 6.9%: 0.6 s below 8 s, 0.35 s
    # below 15 s, then 0.2 s (the rule before) 8.2%, a sentence's utterance closing 4.9 s
    # (p95) after its speech ended; 0.25 s throughout 8.6%, this rule 8.6%, both 0.36 s.
    silence_steps: tuple[tuple[float, float], ...] = ((1.5, 0.5), (1e9, 0.25))
    max_utterance: float = 25.0
    min_cut: float = 5.0  # a forced cut falls at the quietest frame after this many seconds


class Segmenter:
    """Frames of speech probability in, closed utterances out."""

    def __init__(self, config: SegmenterConfig | None = None, first_frame: int = 0) -> None:
        self.config = config or SegmenterConfig()
        self._probs: list[float] = []  # of the open utterance, from its first frame
        # Frames seen; a session decoded again after a restart starts where its finals ended.
        self.frames = first_frame
        self.start: int | None = None  # first frame of the open utterance (padded)
        self._floor = first_frame  # frames before this belong to a closed utterance
        self._last_speech = first_frame
        self._speaking = False

    @property
    def open_start(self) -> int | None:
        """Sample where the open utterance starts, if speech is going on."""
        return None if self.start is None else self.start * FRAME

    @property
    def speech_end(self) -> int:
        """Sample just after the last frame heard as speech."""
        return (self._last_speech + 1) * FRAME

    def push(self, probs: FloatArray) -> list[Utterance]:
        cfg = self.config
        closed: list[Utterance] = []
        for p in probs.tolist():
            frame = self.frames
            self.frames += 1
            if self.start is None:
                if p < cfg.threshold:
                    continue
                pad = int(cfg.pre_pad / FRAME_SECONDS)
                self.start = max(self._floor, frame - pad)
                self._probs = [0.0] * (frame - self.start)
                self._speaking = True
            self._probs.append(p)
            if p >= cfg.threshold or (self._speaking and p >= cfg.release):
                self._last_speech = frame
                self._speaking = True
            else:
                self._speaking = False
            length = (frame + 1 - self.start) * FRAME_SECONDS
            silence = (frame - self._last_speech) * FRAME_SECONDS
            if silence >= self._needed(length):
                closed.append(self._close(self._last_speech + 1))
            elif length >= cfg.max_utterance:
                closed.append(self._force_cut())
        return closed

    def flush(self) -> Utterance | None:
        """Close whatever is open at the end of the audio."""
        if self.start is None:
            return None
        end = min(self.frames, self._last_speech + 1)
        return self._close(end, end_frame=self.frames)

    def _needed(self, length: float) -> float:
        return next(s for limit, s in self.config.silence_steps if length < limit)

    def _close(self, speech_end: int, end_frame: int | None = None) -> Utterance:
        assert self.start is not None
        pad = int(self.config.post_pad / FRAME_SECONDS)
        end = end_frame if end_frame is not None else min(self.frames, speech_end + pad)
        utterance = Utterance(self.start * FRAME, end * FRAME, speech_end * FRAME)
        self._floor, self.start, self._probs, self._speaking = end, None, [], False
        return utterance

    def _force_cut(self) -> Utterance:
        """No pause long enough: cut at the quietest frame of the utterance's tail."""
        assert self.start is not None
        first = int(self.config.min_cut / FRAME_SECONDS)
        tail = self._probs[first:]
        cut = self.start + first + int(np.argmin(tail)) + 1
        utterance = Utterance(self.start * FRAME, cut * FRAME, cut * FRAME)
        self._probs = self._probs[cut - self.start :]
        self.start = self._floor = cut
        return utterance
