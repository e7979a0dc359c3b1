"""Transcript, Segment and Word: the public Transcript JSON shape (see contracts.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Speaker = Literal["clinician", "patient"]


class Correction(BaseModel):
    """One post-ASR vocabulary correction, kept so a reviewer can see what was changed."""

    original: str
    replacement: str
    start: float
    end: float
    score: float = Field(ge=0.0, le=1.0)
    source: str = "drug_lexicon"


class Word(BaseModel):
    """A timed word; ``original_text`` is set when a correction replaced what was heard.

    ``low_confidence`` marks a drug name the engine is unsure of (a weak correction, or a
    sound-alike drug the audio fits almost as well): the reviewer should check it.
    """

    start: float
    end: float
    word: str
    probability: float = Field(ge=0.0, le=1.0)
    original_text: str | None = None
    low_confidence: bool = False


class Segment(BaseModel):
    """A timed stretch of text; ``speaker`` stays null unless we are reasonably sure."""

    id: int
    start: float
    end: float
    text: str
    speaker: Speaker | None = None
    words: list[Word] = Field(default_factory=list)
    speaker_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    channel: int | None = None
    original_text: str | None = None
    corrections: list[Correction] = Field(default_factory=list)
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    flags: list[str] = Field(default_factory=list)

    def part(self, words: list[Word]) -> Segment:
        """The part of this segment made of `words` (a non-empty run of its own words), with
        the corrections that fall in it and what was heard there before them."""
        heard = (
            None
            if all(w.original_text is None for w in words)
            else "".join(f" {w.original_text}" if w.original_text else w.word for w in words)
        )
        return self.model_copy(
            update={
                "words": words,
                "start": words[0].start,
                "end": words[-1].end,
                "text": "".join(w.word for w in words).strip(),
                "corrections": [
                    c for c in self.corrections if words[0].start <= c.start <= words[-1].end
                ],
                "original_text": heard.strip() if heard is not None else None,
            }
        )


class Transcript(BaseModel):
    """A whole recording's transcript as engines return it and the API stores it."""

    text: str
    language: str = "en"
    duration: float
    engine: str
    model: str
    segments: list[Segment] = Field(default_factory=list)
    mode: Literal["dictation", "conversation"] = "dictation"
    warnings: list[str] = Field(default_factory=list)


class TranscribeOptions(BaseModel):
    """Per-call decoding options; engine-wide ones (model, device, threads) live on the engine."""

    language: str = "en"
    beam_size: int = Field(default=5, ge=1, le=10)
    mode: Literal["dictation", "conversation"] = "dictation"
    initial_prompt: str | None = None
    hotwords: list[str] = Field(default_factory=list)
    medical_prompt: bool = True
    correct_vocabulary: bool = True
    targeted_biasing: bool = True
    vad: bool = True
    coverage_check: bool = True
    # Every word aligned to the audio (an encoder pass per 30 s window, about a quarter of
    # tiny.en's CPU time). Off, the coverage check still aligns the segments it needs, and
    # the other segments' word times are estimated and flagged `estimated_word_times`.
    word_timestamps: bool = False
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
