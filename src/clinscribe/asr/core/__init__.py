"""Offline speech recognition: engines, guards, medical vocabulary and speaker roles."""

from clinscribe.asr.core.engine import (
    AsrEngine,
    FasterWhisperConfig,
    FasterWhisperEngine,
    PartialDecoding,
    StreamingAsrEngine,
)
from clinscribe.asr.core.errors import (
    AsrError,
    ModelUnavailableError,
    RemoteEngineError,
    TranscriptionError,
)
from clinscribe.asr.core.openai_engine import OpenAICompatibleConfig, OpenAICompatibleEngine
from clinscribe.asr.core.schemas import Correction, Segment, TranscribeOptions, Transcript, Word

__all__ = [
    "AsrEngine",
    "AsrError",
    "Correction",
    "FasterWhisperConfig",
    "FasterWhisperEngine",
    "ModelUnavailableError",
    "OpenAICompatibleConfig",
    "OpenAICompatibleEngine",
    "PartialDecoding",
    "RemoteEngineError",
    "Segment",
    "StreamingAsrEngine",
    "TranscribeOptions",
    "Transcript",
    "TranscriptionError",
    "Word",
]
