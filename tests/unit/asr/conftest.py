"""Speech synthesised at test time (Piper joe voice, espeak-ng) and one shared Whisper engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinscribe.asr.core.engine import FasterWhisperEngine


@pytest.fixture(scope="session")
def engine() -> Iterator[FasterWhisperEngine]:
    """The default engine, loaded once for the whole session."""
    eng = FasterWhisperEngine()
    eng.load()
    yield eng
