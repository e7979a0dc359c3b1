"""Clinical note drafting: templates, offline drafting with evidence, optional LLM refinement.

Public API::

    draft_note(transcript, template="soap", *, extraction=None) -> Note
    draft_from_segments(segments, template="soap", *, extraction=None) -> Note
    builtin_templates() -> list[Template]
    get_template(key) -> Template
    validate_template(data) -> Template
    refine_with_llm(note, transcript, client, policy="deny", *, template=None,
                    on_unsupported="mark") -> Note
    OpenAIChatClient(base_url, model, api_key=None)     # any OpenAI-compatible endpoint

Nothing here touches a database, the environment or the network unless an LLM client is
given; the NLP engines load lazily, once per process.
"""

from __future__ import annotations

from clinscribe.notes.core.drafter import draft_from_segments, draft_note
from clinscribe.notes.core.errors import (
    EgressDeniedError,
    EmptyTranscriptError,
    LlmRefinementError,
    NotesError,
    TemplateValidationError,
    UnknownTemplateError,
)
from clinscribe.notes.core.llm import (
    ChatClient,
    EgressPolicy,
    OpenAIChatClient,
    build_messages,
    refine_with_llm,
)
from clinscribe.notes.core.schemas import (
    FACT_KINDS,
    Evidence,
    FactKind,
    Faithfulness,
    Note,
    NoteSection,
    NoteSentence,
    Problem,
    Template,
    TemplateSection,
)
from clinscribe.notes.core.templates import builtin_templates, get_template, validate_template
from clinscribe.notes.core.units import joined_text

__all__ = [
    "FACT_KINDS",
    "ChatClient",
    "EgressDeniedError",
    "EgressPolicy",
    "EmptyTranscriptError",
    "Evidence",
    "FactKind",
    "Faithfulness",
    "LlmRefinementError",
    "Note",
    "NoteSection",
    "NoteSentence",
    "NotesError",
    "OpenAIChatClient",
    "Problem",
    "Template",
    "TemplateSection",
    "TemplateValidationError",
    "UnknownTemplateError",
    "build_messages",
    "builtin_templates",
    "draft_from_segments",
    "draft_note",
    "get_template",
    "joined_text",
    "refine_with_llm",
    "validate_template",
]
