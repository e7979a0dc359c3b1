"""Pydantic models for templates and the Note contract (see contracts.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from clinscribe.nlp.core.schemas import Entity, Vital

FactKind = Literal[
    "chief_complaint",
    "hpi",
    "ros",
    "pmh",
    "medications",
    "allergies",
    "family_history",
    "social_history",
    "vitals",
    "exam",
    "results",
    "assessment",
    "plan",
]
FACT_KINDS: tuple[FactKind, ...] = (
    "chief_complaint",
    "hpi",
    "ros",
    "pmh",
    "medications",
    "allergies",
    "family_history",
    "social_history",
    "vitals",
    "exam",
    "results",
    "assessment",
    "plan",
)
_KEY = r"^[a-z][a-z0-9_]{0,39}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateSection(_Model):
    """One section of a template and the kinds of facts that belong there."""

    key: str = Field(pattern=_KEY)
    title: str = Field(min_length=1, max_length=80)
    instruction: str = Field(default="", max_length=2000)
    fact_kinds: list[FactKind] = Field(default_factory=list)


class Template(_Model):
    """A note template: ordered sections plus a prompt a UI can show while dictating."""

    key: str = Field(pattern=_KEY)
    title: str = Field(min_length=1, max_length=80)
    sections: list[TemplateSection] = Field(min_length=1, max_length=40)
    capture_prompt: str = Field(default="", max_length=2000)
    builtin: bool = False


class Evidence(_Model):
    """A character span of one transcript segment that a note sentence rests on.

    A report drafted from documents (the Client Health Report) cites pages instead: then
    `document_id` and `page` name the page and `segment` numbers the report's cited pages.
    """

    segment: int
    begin: int
    end: int
    document_id: str | None = None
    page: int | None = None

    @model_serializer(mode="wrap")
    def _page_only_when_cited(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Transcript evidence keeps its stored shape (and stored hashes) byte for byte.
        data: dict[str, Any] = handler(self)
        if self.document_id is None and self.page is None:
            data.pop("document_id", None)
            data.pop("page", None)
        return data


class NoteSentence(_Model):
    """One note sentence with its evidence and faithfulness flags (empty when supported)."""

    text: str
    kind: FactKind
    evidence: list[Evidence] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)

    @property
    def supported(self) -> bool:
        return not self.flags


class NoteSection(_Model):
    """A drafted section: contract fields plus per-sentence detail."""

    key: str
    title: str
    text: str
    evidence: list[Evidence] = Field(default_factory=list)
    sentences: list[NoteSentence] = Field(default_factory=list)
    unsupported: int = 0


class Problem(_Model):
    """An assessed problem with its ICD-10-CM code when one is known."""

    text: str
    code: str | None = None
    display: str | None = None


class Faithfulness(_Model):
    """How many note sentences the faithfulness check found supported by their evidence."""

    sentences: int = 0
    supported: int = 0
    share: float = 1.0


class Note(_Model):
    """A drafted note (the public Note JSON shape, plus optional detail fields)."""

    template: str
    status: Literal["draft"] = "draft"
    sections: list[NoteSection] = Field(default_factory=list)
    text: str = ""
    entities: list[Entity] = Field(default_factory=list)
    vitals: list[Vital] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    faithfulness: Faithfulness = Field(default_factory=Faithfulness)
    refined_by: str | None = None
