"""Audit event shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    action: str
    object_type: str | None
    object_id: str | None
    request_id: str | None
    outcome: str
    hash: str


class EgressEventRead(BaseModel):
    """One PHI egress: where it went and how much, never what."""

    id: int
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    processor: str
    destination: str
    purpose: str
    object_type: str | None
    object_ids: list[str]
    bytes: int
    outcome: str
    request_id: str | None
