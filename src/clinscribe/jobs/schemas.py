"""Job shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

JobStatus = Literal["queued", "running", "succeeded", "failed", "dead"]


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: JobStatus
    subject_type: str
    subject_id: str
    attempts: int
    max_attempts: int
    progress: float
    last_error: str | None
    result_type: str | None
    result_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
