"""ASR error tree; each carries an API error code and an HTTP-ish status."""

from __future__ import annotations


class AsrError(Exception):
    """Base of speech-recognition errors."""

    code = "asr_error"
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
