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
    NoteContent.from_note(note) / .from_json(raw) / .to_json()   # what a note version stores
    render_text(sections) -> str        # the one renderer of note text (headings in capitals)
    text_sha256(sections) -> str        # SHA-256 of the rendered text, as delivered

Nothing here touches a database, the environment or the network unless an LLM client is
given; the NLP engines load lazily, once per process.
"""

from __future__ import annotations

from clinscribe.nlp.core.schemas import Entity, Vital
from clinscribe.notes.core.content import (
    ContentSection,
    Decision,
    ExtractedFacts,
    Fact,
    FactReview,
    NoteContent,
    render_text,
    text_sha256,
)
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
    "ContentSection",
    "Decision",
    "EgressDeniedError",
    "EgressPolicy",
    "EmptyTranscriptError",
    "Entity",
    "Evidence",
    "ExtractedFacts",
    "Fact",
    "FactKind",
    "FactReview",
    "Faithfulness",
    "LlmRefinementError",
    "Note",
    "NoteContent",
    "NoteSection",
    "NoteSentence",
    "NotesError",
    "OpenAIChatClient",
    "Problem",
    "Template",
    "TemplateSection",
    "TemplateValidationError",
    "UnknownTemplateError",
    "Vital",
    "build_messages",
    "builtin_templates",
    "draft_from_segments",
    "draft_note",
    "get_template",
    "joined_text",
    "refine_with_llm",
    "render_text",
    "text_sha256",
    "validate_template",
]
