"""Acoustic evidence for a drug correction: how well each candidate wording fits the audio.

Spelling and sound keys say which lexicon names are *near* what was heard; only the audio can
say which of two real drugs was *said* ("hydroxyzine" vs "hydralazine"). The Whisper decoder
is forced through each candidate wording of the same clip (CTranslate2 ``align``, the pass
faster-whisper uses for word timestamps) and the summed log-probability of its tokens is the
candidate's score: the encoder runs once per clip, the decoder once per wording.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

# Scores `texts` (whole wordings of one clip) against the clip; higher fits better.
CandidateScorer = Callable[[FloatArray, list[str]], list[float]]

_WINDOW_SECONDS = 30.0


def score_candidates(model: Any, clip: FloatArray, texts: list[str]) -> list[float]:
    """Summed token log-probabilities of each wording of a (< 30 s) clip under `model`.

    `model` is a loaded ``faster_whisper.WhisperModel``. Texts are compared with each other
    only: they should differ in the candidate words alone, with the same context around them.
    """
    if not texts:
        return []
    return _score(model, *_encode(model, clip), texts)


class ClipScorer:
    """`score_candidates` for one transcription, encoding each distinct clip once.

    The encoder is most of a score's cost (tiny.en, one thread: about 0.65 s CPU per 30 s
    window against 0.1 s per forced wording), and the sound-alike check scores every drug
    name of a batch against the same glued clip; kept for the transcription only.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._encoded: dict[bytes, tuple[Any, int]] = {}

    def __call__(self, clip: FloatArray, texts: list[str]) -> list[float]:
        if not texts:
            return []
        key = hashlib.blake2b(np.ascontiguousarray(clip).tobytes(), digest_size=16).digest()
        if key not in self._encoded:
            self._encoded[key] = _encode(self.model, clip)
        return _score(self.model, *self._encoded[key], texts)


def _encode(model: Any, clip: FloatArray) -> tuple[Any, int]:
    from faster_whisper.audio import pad_or_trim  # type: ignore[import-untyped]

    clip = clip[: int(_WINDOW_SECONDS * SAMPLE_RATE)]
    features = model.feature_extractor(clip)
    return model.encode(pad_or_trim(features)), int(features.shape[-1])


def _score(model: Any, encoded: Any, frames: int, texts: list[str]) -> list[float]:
    from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]

    tokenizer = Tokenizer(
        model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
    )
    scores: list[float] = []
    for text in texts:
        tokens = tokenizer.encode(" " + text.strip())
        if not tokens:
            scores.append(float("-inf"))
            continue
        result = model.model.align(encoded, tokenizer.sot_sequence, [tokens], frames)[0]
        probs = np.clip(np.asarray(result.text_token_probs, dtype=np.float64), 1e-12, 1.0)
        scores.append(float(np.log(probs).sum()))
    return scores
