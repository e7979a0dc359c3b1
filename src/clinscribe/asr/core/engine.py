"""ASR engines behind one Protocol; the default runs faster-whisper on the bundled tiny.en."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict

from clinscribe.asr.core.alignment import align_words
from clinscribe.asr.core.biasing import rebias
from clinscribe.asr.core.correction import DrugCorrector
from clinscribe.asr.core.coverage import (
    Interval,
    check_coverage,
    remove_looped_tails,
    sparse_segments,
    with_gaps,
)
from clinscribe.asr.core.errors import ModelUnavailableError, TranscriptionError
from clinscribe.asr.core.guards import remove_hallucinations
from clinscribe.asr.core.lexicon import MEDICAL_PROMPT, load_common_words, load_drug_lexicon
from clinscribe.asr.core.models import BUNDLED_MODEL, resolve_model_path
from clinscribe.asr.core.partial import WhisperPartialDecoder
from clinscribe.asr.core.schemas import Segment, TranscribeOptions, Transcript
from clinscribe.asr.core.scoring import ClipScorer
from clinscribe.asr.core.seams import recover_at_seams, seam_clips
from clinscribe.asr.core.segments import clamp_end, from_whisper, shift
from clinscribe.asr.core.speakers import channel_roles, label_from_text, split_turns
from clinscribe.audio.decode import SAMPLE_RATE, DecodedAudio, FloatArray

FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# Seam clips are decoded without the medical prompt (as the coverage re-decodes are).
_SEAM_OPTS = TranscribeOptions(medical_prompt=False)


@runtime_checkable
class AsrEngine(Protocol):
    """What every speech engine offers: load once, then transcribe 16 kHz audio.

    `name` and `model_name` are what a transcript records as its engine and model.
    """

    name: str
    model_name: str

    def load(self) -> None: ...

    def transcribe(
        self, audio: DecodedAudio | FloatArray, *, options: TranscribeOptions | None = None
    ) -> Transcript: ...


class PartialDecoding(Protocol):
    """Quick hypotheses of an utterance still being spoken (shown, never stored)."""

    def decode(self, clip: FloatArray) -> str:
        """The words of 16 kHz mono `clip` as far as a fast decode can tell, stripped."""
        ...


@runtime_checkable
class StreamingAsrEngine(AsrEngine, Protocol):
    """An engine live decoding can use: finals through `transcribe` (which must be safe to
    call from several decoder threads at once), partials through `partial_decoder`, and the
    drug corrector its finals are re-corrected with as a session names more drugs."""

    def partial_decoder(self, prompt: str) -> PartialDecoding:
        """A partial decoder for one live session, conditioned on `prompt`."""
        ...

    @property
    def corrector(self) -> DrugCorrector | None:
        """The drug-name corrector `transcribe` applies, if the engine has one."""
        ...


class FasterWhisperConfig(BaseModel):
    """Engine-wide settings; ``model`` is a CTranslate2 model dir or "tiny.en" (bundled)."""

    model_config = ConfigDict(frozen=True)

    model: str = BUNDLED_MODEL
    device: str = "cpu"
    compute_type: str = "int8"
    # Measured with the full engine on the 12 Piper dev files (287 s, beam 5, int8) on this
    # 2-core VM, alternating runs while other jobs shared it: at load 2.5-5, cpu_threads=1
    # 15.9-17.1x real time vs cpu_threads=2 12.8-16.4x; at load 3-4, 8.7-11.4x vs 7.3-11.6x.
    # One thread was faster in 8 of 9 pairs (and tied the ninth) and leaves a core to VAD,
    # the API and the database in the embedded profile. Raise it on an otherwise idle box.
    cpu_threads: int = 1
    num_workers: int = 1


def _seconds(audio: FloatArray) -> float:
    return len(audio) / SAMPLE_RATE


class FasterWhisperEngine:
    """faster-whisper with VAD, hallucination guards, coverage re-decoding and drug correction."""

    name = "faster-whisper"
    _models: ClassVar[dict[FasterWhisperConfig, Any]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, config: FasterWhisperConfig | None = None) -> None:
        self.config = config or FasterWhisperConfig()
        self.model_name = Path(self.config.model).name
        self._corrector: DrugCorrector | None = None

    def load(self) -> None:
        """Load the model (once per process and config) and the drug lexicon."""
        with self._lock:
            if self.config not in self._models:
                from faster_whisper import WhisperModel  # type: ignore[import-untyped]

                path = resolve_model_path(self.config.model)
                try:
                    self._models[self.config] = WhisperModel(
                        path,
                        device=self.config.device,
                        compute_type=self.config.compute_type,
                        cpu_threads=self.config.cpu_threads,
                        num_workers=self.config.num_workers,
                        local_files_only=True,
                    )
                except (RuntimeError, ValueError, OSError) as exc:
                    raise ModelUnavailableError(f"cannot load the speech model: {exc}") from exc
            if self._corrector is None:
                path = resolve_model_path(self.config.model)
                words = load_common_words(str(Path(path) / "tokenizer.json"))
                self._corrector = DrugCorrector(load_drug_lexicon(), words)

    @property
    def model(self) -> Any:
        self.load()
        return self._models[self.config]

    @property
    def corrector(self) -> DrugCorrector | None:
        """The drug lexicon and word list of this engine's model (loaded with it)."""
        self.load()
        return self._corrector

    def partial_decoder(self, prompt: str) -> PartialDecoding:
        """Greedy short-context decoding on this engine's model, for live partials."""
        return WhisperPartialDecoder(self.model, prompt)

    def transcribe(
        self, audio: DecodedAudio | FloatArray, *, options: TranscribeOptions | None = None
    ) -> Transcript:
        """Transcribe 16 kHz audio; stereo conversations are decoded one channel per speaker."""
        opts = options or TranscribeOptions()
        self.load()
        samples = audio.samples if isinstance(audio, DecodedAudio) else audio
        channels = audio.channels if isinstance(audio, DecodedAudio) else []
        warnings: list[str] = []
        try:
            if opts.mode == "conversation" and len(channels) == 2:
                segments = self._per_channel(channels, opts, warnings)
            else:
                segments = self._mono(samples, opts, warnings)
            # Sentence-sized segments: turns for role guesses, finer evidence links for notes.
            segments = [turn for s in segments for turn in split_turns(s)]
            if opts.mode == "conversation" and len(channels) != 2:
                segments = label_from_text(segments)
        except (RuntimeError, ValueError) as exc:
            raise TranscriptionError(f"transcription failed: {exc}") from exc
        segments = [s.model_copy(update={"id": i}) for i, s in enumerate(segments)]
        return Transcript(
            text=" ".join(s.text for s in segments).strip(),
            language=opts.language,
            duration=round(_seconds(samples), 3),
            engine=self.name,
            model=self.model_name,
            segments=segments,
            mode=opts.mode,
            warnings=warnings,
        )

    def _per_channel(
        self, channels: list[FloatArray], opts: TranscribeOptions, warnings: list[str]
    ) -> list[Segment]:
        roles = ("clinician", "patient")
        merged: list[Segment] = []
        for index, channel in enumerate(channels):
            for seg in self._mono(channel, opts, warnings):
                # Cross-talk bleeds into the other microphone: keep a segment only on the
                # channel where it is loudest.
                best, share = channel_roles(channels, [seg])[0]
                if best != index:
                    continue
                merged.append(
                    seg.model_copy(
                        update={
                            "speaker": roles[index],
                            "channel": index,
                            "speaker_confidence": round(share, 2),
                        }
                    )
                )
        return sorted(merged, key=lambda s: (s.start, s.end))

    def _mono(
        self, samples: FloatArray, opts: TranscribeOptions, warnings: list[str]
    ) -> list[Segment]:
        speech = self._speech(samples) if opts.vad else [(0.0, _seconds(samples))]
        if not speech:
            warnings.append("no speech detected")
            return []
        prompt = opts.initial_prompt or (MEDICAL_PROMPT if opts.medical_prompt else None)
        seams: list[float] = []
        segments = self._decode(samples, speech, opts, prompt=prompt, seams=seams)
        segments, found = remove_hallucinations(segments)
        warnings.extend(found)
        gaps: list[Interval] = []
        covering = opts.coverage_check and opts.vad
        # Finer regions than the decoding chunks: a pause splits them, so a hole is speech.
        heard = self._speech(samples, fine=True) if covering else []
        if covering and seams:
            clips = seam_clips(seams, heard, _seconds(samples))

            def again(clip: FloatArray) -> list[Segment]:
                whole = [(0.0, _seconds(clip))]
                return self._decode(
                    clip, whole, _SEAM_OPTS, prompt=None, fallback=False, words=True
                )

            segments, found = recover_at_seams(samples, segments, clips, again)
            warnings.extend(found)
        if opts.word_timestamps:
            segments = align_words(self.model, samples, segments, speech=speech)
        if covering and not opts.word_timestamps:
            # Only where the text looks short for the speech under it, or next to a window
            # seam (an encoder pass per 30 s aligned is the cost): decoded again, or aligned.
            sparse = sparse_segments(segments, heard)
            if sparse:
                segments = self._sparse(samples, speech, segments, sparse, opts)
        if covering:
            segments, found = remove_looped_tails(segments, heard)
            warnings.extend(found)

            def redecode(start: float, end: float) -> list[Segment]:
                clip = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
                # Plain settings for the retry: no prompt, so a biasing side effect that
                # swallowed the sentence is not repeated; aligned words, to keep those heard
                # inside the hole (a short clip: the alignment reuses its one encoder pass).
                whole = [(0.0, _seconds(clip))]
                found = self._decode(clip, whole, opts, prompt=None, words=True)
                return [shift(s, start) for s in found]

            segments, gaps, found = check_coverage(segments, heard, redecode)
            warnings.extend(found)
        if opts.correct_vocabulary and self._corrector is not None:
            segments = self._corrector.correct(segments)
            if opts.targeted_biasing:
                prior = self._corrector.mentioned(segments)

                def biased(clip: FloatArray, hotwords: list[str]) -> list[Segment]:
                    hot = opts.model_copy(update={"hotwords": [*hotwords, *opts.hotwords]})
                    whole = [(0.0, _seconds(clip))]
                    return self._decode(clip, whole, hot, prompt=None, fallback=False)

                score = ClipScorer(self.model)
                segments = rebias(samples, segments, self._corrector, biased, prior, score=score)
        # Gaps go in last: correction and biasing only ever see decoded text.
        return with_gaps(segments, gaps)

    def _sparse(
        self,
        samples: FloatArray,
        speech: list[Interval],
        segments: list[Segment],
        sparse: dict[int, float],
        opts: TranscribeOptions,
    ) -> list[Segment]:
        """Segments whose text is short for their speech. A few seconds short: aligned
        (consecutive ones in one window), so the coverage check finds and re-decodes the hole.
        Much more: the alignment of so little text over so much speech misplaces words, so the
        span is decoded again on its own and kept when that hears more words (aligned as a
        last resort)."""
        align = {i for i, d in sparse.items() if d < 4.0}
        if align:
            segments = align_words(self.model, samples, segments, only=align, speech=speech)
        out: list[Segment] = []
        for i, seg in enumerate(segments):
            if i in align or i not in sparse:
                out.append(seg)
                continue
            start = max(0.0, seg.start - 0.2)
            clip = samples[
                int(start * SAMPLE_RATE) : int(min(seg.end + 0.2, start + 30) * SAMPLE_RATE)
            ]
            found = self._decode(clip, [(0.0, _seconds(clip))], opts, prompt=None, words=True)
            if sum(len(s.words) for s in found) > len(seg.text.split()):
                flagged = [s.model_copy(update={"flags": [*s.flags, "recovered"]}) for s in found]
                out.extend(shift(s, start) for s in flagged)
            else:
                out.append(align_words(self.model, samples, [seg], speech=speech)[0])
        return out

    def _speech(self, samples: FloatArray, *, fine: bool = False) -> list[Interval]:
        from faster_whisper.vad import (  # type: ignore[import-untyped]
            VadOptions,
            get_speech_timestamps,
        )

        # Decoding chunks keep short pauses and pad generously (context for Whisper); the
        # coverage check wants speech only, so pauses split its regions and padding is small.
        vad = (
            VadOptions(min_silence_duration_ms=300, speech_pad_ms=100)
            if fine
            else VadOptions(min_silence_duration_ms=1000, speech_pad_ms=300)
        )
        chunks = get_speech_timestamps(samples, vad, sampling_rate=SAMPLE_RATE)
        return [(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]

    def _decode(
        self,
        samples: FloatArray,
        speech: list[Interval],
        opts: TranscribeOptions,
        *,
        prompt: str | None,
        fallback: bool = True,
        words: bool = False,
        seams: list[float] | None = None,
    ) -> list[Segment]:
        """Decode the speech intervals of ``samples`` glued together; with ``seams``, the
        times (in ``samples``) where a later 30 s decoding window started are added to it."""
        from faster_whisper.transcribe import (  # type: ignore[import-untyped]
            restore_speech_timestamps,
        )
        from faster_whisper.vad import SpeechTimestampsMap

        chunks = [
            {"start": int(a * SAMPLE_RATE), "end": min(int(b * SAMPLE_RATE), len(samples))}
            for a, b in speech
        ]
        joined = np.concatenate([samples[c["start"] : c["end"]] for c in chunks])
        raw, _ = self.model.transcribe(
            joined,
            language=opts.language,
            beam_size=opts.beam_size,
            initial_prompt=prompt,
            hotwords=", ".join(opts.hotwords) or None,
            # faster-whisper's own alignment also moves its next window to the last aligned
            # word, which changes (and on our dev set worsens) long-form decoding; long audio
            # is aligned afterwards instead (alignment.py).
            word_timestamps=words,
            vad_filter=False,
            no_speech_threshold=opts.no_speech_threshold,
            log_prob_threshold=opts.log_prob_threshold,
            compression_ratio_threshold=opts.compression_ratio_threshold,
            # Without fallback a failing decode is answered once at temperature 0 instead of
            # up to six times; used where the result only confirms candidates.
            temperature=FALLBACK_TEMPERATURES if fallback else 0.0,
            # A confirming decode needs few tokens; a looping one is cut short.
            max_new_tokens=None if fallback else int(6 * _seconds(joined)) + 16,
        )
        decoded = list(raw)
        if seams is not None:
            # A segment's `seek` is its window's first frame (10 ms) in the glued audio.
            where = SpeechTimestampsMap(chunks, SAMPLE_RATE)
            starts = sorted({s.seek for s in decoded if s.seek > 0})
            seams.extend(round(where.get_original_time(f / 100), 3) for f in starts)
        restored: Iterable[Any] = restore_speech_timestamps(decoded, chunks, SAMPLE_RATE)
        return [from_whisper(s, clamp_end(s.end, speech)) for s in restored if s.text.strip()]
