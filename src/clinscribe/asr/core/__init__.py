"""Offline speech recognition: engines, guards, medical vocabulary and speaker roles."""

from clinscribe.asr.core.engine import AsrEngine, FasterWhisperConfig, FasterWhisperEngine
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
    "RemoteEngineError",
    "Segment",
    "TranscribeOptions",
    "Transcript",
    "TranscriptionError",
    "Word",
]
