"""Acoustic evidence for a drug correction: how well each candidate wording fits the audio.

Spelling and sound keys say which lexicon names are *near* what was heard; only the audio can
say which of two real drugs was *said* ("hydroxyzine" vs "hydralazine"). The Whisper decoder
is forced through each candidate wording of the same clip (CTranslate2 ``align``, the pass
faster-whisper uses for word timestamps) and the summed log-probability of its tokens is the
candidate's score: the encoder runs once per clip, the decoder once per wording.
"""

from __future__ import annotations

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
    from faster_whisper.audio import pad_or_trim  # type: ignore[import-untyped]
    from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]

    if not texts:
        return []
    clip = clip[: int(_WINDOW_SECONDS * SAMPLE_RATE)]
    features = model.feature_extractor(clip)
    frames = features.shape[-1]
    encoded = model.encode(pad_or_trim(features))
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
