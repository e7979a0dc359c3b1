"""ASR errors: a branch of the one error tree, each with its own API code and status."""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class AsrError(ClinscribeError):
    """Base of speech-recognition errors."""

    code = "asr_error"
    status_code = 500


class ModelUnavailableError(AsrError):
    """The speech model cannot be found or loaded (no network fetch is ever attempted)."""

    code = "asr_model_unavailable"
    status_code = 503


class TranscriptionError(AsrError):
    """The engine failed while transcribing."""

    code = "asr_failed"
    status_code = 500


class RemoteEngineError(AsrError):
    """A remote transcription API refused the request or answered something unusable."""

    code = "asr_remote_failed"
    status_code = 502
