"""What a note version stores, and the one function that renders note text.

`NoteContent` is the typed form of a version's content JSON: the drafted `Note` plus what
review adds (an `edited` mark on sections a clinician changed, and `fact_review` once a
decision on a fact was made). Its JSON is byte-for-byte the shape stored since the first
version: `NoteContent.from_json(raw).to_json() == raw` for every stored row, so versions,
diffs and legacy signatures over the stored bytes keep working.

`render_text` is the only place note text is made from sections. Drafting, LLM refinement,
review edits and amendments, the signed-content hash and the FHIR mapping all call it, so the
text a clinician reads, the text that is signed and the text the EHR receives cannot drift.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from clinscribe.nlp.core.schemas import Entity, Vital
from clinscribe.notes.core.schemas import Faithfulness, Note, NoteSection, Problem

Decision = Literal["accepted", "removed"]
# A reviewable fact: a medication entity, an assessed problem or a vital sign.
Fact = Entity | Problem | Vital


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContentSection(NoteSection):
    """A stored section: the drafted section, marked `edited` once a clinician changed it."""

    edited: bool = False

    @model_serializer(mode="wrap")
    def _mark_only_edited(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Stored sections carry "edited" only when true; drafted ones never had the key.
        data: dict[str, Any] = handler(self)
        if not self.edited:
            data.pop("edited", None)
        return data


class ExtractedFacts(_Model):
    """The facts as drafted, kept once the first decision on a fact is made."""

    entities: list[Entity] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    vitals: list[Vital] = Field(default_factory=list)


class FactReview(_Model):
    """The clinician's accept/remove decisions by fact id, and the facts they refer to."""

    extracted: ExtractedFacts = Field(default_factory=ExtractedFacts)
    decisions: dict[str, Decision] = Field(default_factory=dict)


class NoteContent(_Model):
    """One note version's content: the Note contract plus the review marks (see module doc).

    `entities`, `problems` and `vitals` hold what the clinician did not remove; they are what
    the FHIR bundle is built from. `text` is `render_text(sections)`.
    """

    template: str
    status: str = "draft"
    sections: list[ContentSection] = Field(default_factory=list)
    text: str = ""
    entities: list[Entity] = Field(default_factory=list)
    vitals: list[Vital] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    faithfulness: Faithfulness = Field(default_factory=Faithfulness)
    refined_by: str | None = None
    fact_review: FactReview | None = None

    @model_serializer(mode="wrap")
    def _review_only_when_made(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # "fact_review" appears in stored content only after the first decision on a fact.
        data: dict[str, Any] = handler(self)
        if self.fact_review is None:
            data.pop("fact_review", None)
        return data

    @classmethod
    def from_note(cls, note: Note) -> NoteContent:
        """The content of a fresh draft (a deep copy: the Note is left untouched)."""
        return cls.model_validate(note.model_dump(mode="python"))

    @classmethod
    def from_json(cls, raw: str) -> NoteContent:
        """Load a stored version's content JSON."""
        return cls.model_validate_json(raw)

    def to_json(self) -> str:
        """The content as stored: compact JSON, ASCII-escaped, keys in the stored order."""
        # json.dumps, not model_dump_json: the stored bytes escape non-ASCII and write floats
        # with repr(), and legacy signatures are hashes of exactly those bytes.
        return json.dumps(self.model_dump(mode="json"), separators=(",", ":"))

    def revised(self, texts: Mapping[str, str]) -> NoteContent:
        """A copy with the given section texts (key → text), changed sections marked
        `edited`, and the note text rendered again. Unknown keys are the caller's to refuse."""
        copy = self.model_copy(deep=True)
        for section in copy.sections:
            if section.key in texts and texts[section.key] != section.text:
                section.text = texts[section.key]
                section.edited = True
        copy.text = render_text(copy.sections)
        return copy


def render_text(sections: Iterable[NoteSection]) -> str:
    """The note text: each section with text under its title in capitals, blank-line separated.

    Sections without text are left out; trailing whitespace of a section is dropped so an
    edited section reads the same as a drafted one.
    """
    return "\n\n".join(
        f"{section.title.upper()}\n{section.text}".rstrip() for section in sections if section.text
    )


def text_sha256(sections: Iterable[NoteSection]) -> str:
    """The SHA-256 (hex) of the UTF-8 note text rendered from `sections` (the delivered text)."""
    return hashlib.sha256(render_text(sections).encode("utf-8")).hexdigest()
