"""Note request and response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
        min_length=1, description="Section key → new text for each section that changes."
    )
    reason: str | None = Field(default=None, max_length=500)


class NoteAmend(NoteEdit):
    reason: str = Field(min_length=1, max_length=500)


class NoteReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


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
    signed_sha256: str | None
    replaces_version: int | None
    content: dict[str, Any] = Field(description="The Note JSON of the public contract.")
    delivery_status: str | None = Field(
        default=None, description="pending | delivered | dead for the latest signed version."
    )


class NoteVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    author_id: str | None
    reason: str | None
    diff: str | None
    created_at: datetime
