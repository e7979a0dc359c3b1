"""Offline speech recognition: engines, guards, medical vocabulary and speaker roles."""

from clinscribe.asr.engine import AsrEngine, FasterWhisperConfig, FasterWhisperEngine
from clinscribe.asr.errors import (
    AsrError,
    ModelUnavailableError,
    RemoteEngineError,
    TranscriptionError,
)
from clinscribe.asr.openai_engine import OpenAICompatibleConfig, OpenAICompatibleEngine
from clinscribe.asr.schemas import Correction, Segment, TranscribeOptions, Transcript, Word

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
