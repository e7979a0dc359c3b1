"""Note request and response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clinscribe.notes.core import Decision, Fact, NoteContent


class NoteDraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(default="soap", min_length=1, max_length=64)
    transcript_id: str | None = Field(default=None, max_length=36)
    refine: bool = Field(
        default=False,
        description="Refine with the tenant's LLM, if its PHI egress policy allows (audited).",
    )


class NoteEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: dict[str, str] = Field(
        default_factory=dict, description="Section key → new text for each section that changes."
    )
    facts: dict[str, Decision] = Field(
        default_factory=dict,
        max_length=500,
        description="Fact id (from `facts` of the note) → the clinician's decision. "
        "Removed facts are left out of the FHIR bundle.",
    )
    reason: str | None = Field(default=None, max_length=500)
    version: int | None = Field(
        default=None,
        ge=1,
        description="The version this edit was made on (or send it as `If-Match`); a stale "
        "one is refused with 409 `version_conflict`, carrying the current content and a diff.",
    )

    @model_validator(mode="after")
    def _changes_something(self) -> NoteEdit:
        if not self.sections and not self.facts:
            raise ValueError("give sections to change, fact decisions, or both")
        return self


class NoteAmend(NoteEdit):
    reason: str = Field(min_length=1, max_length=500)


class NoteReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class FactRead(BaseModel):
    id: str = Field(description="m<i>, p<i> or v<i>: stable for the note's drafted facts.")
    kind: Literal["medication", "problem", "vital"]
    decision: Decision | None
    fact: Fact = Field(description="The entity, problem or vital as drafted.")


class NoteRead(BaseModel):
    id: str
    encounter_id: str
    transcript_id: str | None
    template: str
    status: str
    version: int
    rejected_reason: str | None
    signed_by: str | None
    signed_at: datetime | None
    signed_sha256: str | None = Field(
        description="SHA-256 (hex) of the signed version's stored content (sections, text, facts)."
    )
    replaces_version: int | None
    content: NoteContent = Field(
        description="The Note JSON of the public contract, with the clinician's review marks."
    )
    facts: list[FactRead] = Field(
        default_factory=list,
        description="Extracted medications, problems and vitals with the clinician's decisions.",
    )
    delivery_status: str | None = Field(
        default=None, description="pending | delivered | dead for the latest signed version."
    )
    studies: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Attached imaging studies, each with its `url` and the `mention` (section, "
        "begin, end) of the sentence that names its modality or body part.",
    )


class NoteVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    author_id: str | None
    reason: str | None
    diff: str | None
    created_at: datetime
