"""Note drafting error tree; each carries an API error code and an HTTP-ish status."""

from __future__ import annotations


class NotesError(Exception):
    """Base of note drafting errors."""

    code = "notes_error"
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyTranscriptError(NotesError):
    """The transcript has no spoken text to draft from."""

    code = "empty_transcript"
    status_code = 422


class UnknownTemplateError(NotesError):
    """No built-in template has this key."""

    code = "unknown_template"
    status_code = 404


class TemplateValidationError(NotesError):
    """A tenant-defined template is malformed."""

    code = "invalid_template"
    status_code = 422


class EgressDeniedError(NotesError):
    """The egress policy forbids sending clinical text to the LLM endpoint."""

    code = "egress_denied"
    status_code = 403


class LlmRefinementError(NotesError):
    """The LLM endpoint failed or answered something unusable."""

    code = "llm_refinement_failed"
    status_code = 502
