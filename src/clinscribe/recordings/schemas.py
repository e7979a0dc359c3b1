"""Recording shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clinscribe.jobs.schemas import JobRead

Mode = Literal["dictation", "conversation"]


class RecordingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    encounter_id: str
    source: str
    mode: Mode
    status: str
    sha256: str | None
    size_bytes: int
    filename: str | None
    content_type: str | None
    container: str | None
    codec: str | None
    duration_s: float | None
    channels: int | None
    sample_rate: int | None
    created_at: datetime


class RecordingAccepted(BaseModel):
    recording: RecordingRead
    job: JobRead | None = None
    transcript_id: str | None = None


class TextCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="A dictation, or `[doctor]`/`Doctor:` dialogue.")
    mode: Mode | None = Field(default=None, description="Detected from the text when omitted.")
