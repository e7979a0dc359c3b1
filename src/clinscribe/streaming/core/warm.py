"""Warming the live decoder's model before the first session needs it.

A model's first decodes are slower than the rest (CTranslate2 allocates its buffers, ONNX
Runtime builds the VAD session), and loading tiny.en with its drug lexicon takes a few
seconds: paid by the first stream after a restart, they pushed its first partial to 4-5 s.
"""

from __future__ import annotations

import numpy as np

from clinscribe.asr.core.engine import StreamingAsrEngine
from clinscribe.asr.core.lexicon import MEDICAL_PROMPT
from clinscribe.asr.core.schemas import TranscribeOptions
from clinscribe.audio.decode import SAMPLE_RATE
from clinscribe.streaming.core.vad import StreamingVad

# Quiet noise, not speech: every path runs in full (no VAD skips the decode), and Whisper
# answers it with a few tokens at most, so warming stays well under a second once loaded.
WARM_SECONDS = 1.0
_FINAL = TranscribeOptions(vad=False, coverage_check=False, targeted_biasing=False)


def warm(engine: StreamingAsrEngine) -> None:
    """Run the partial and final paths of live decoding once on `engine` (loading it)."""
    engine.load()
    noise = np.random.default_rng(0).standard_normal(int(WARM_SECONDS * SAMPLE_RATE))
    clip = (noise * 0.01).astype(np.float32)
    StreamingVad()(clip)
    partials = engine.partial_decoder(MEDICAL_PROMPT)
    # The second decode is the one a session sees; the first pays the allocations.
    for _ in range(2):
        partials.decode(clip)
    engine.transcribe(clip, options=_FINAL)
