"""Note drafting errors: a branch of the one error tree, each with its own code and status."""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class NotesError(ClinscribeError):
    """Base of note drafting errors."""

    code = "notes_error"
    status_code = 500


class EmptyTranscriptError(NotesError):
    """The transcript has no spoken text to draft from."""

    code = "empty_transcript"
    status_code = 422


class UnknownTemplateError(NotesError):
    """No template (built-in or the tenant's own) has this key."""

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

    # The code clients have always seen for a failed refinement.
    code = "llm_failed"
    status_code = 502
