"""EHR endpoint and delivery shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from clinscribe.fhir.core.auth import ClientSecretAuth, NoAuth, PasswordAuth, SmartBackendAuth

AuthIn = Annotated[
    NoAuth | SmartBackendAuth | PasswordAuth | ClientSecretAuth, Field(discriminator="kind")
]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrl
    auth: AuthIn = Field(default_factory=NoAuth)
    patient_system: str = Field(
        min_length=1, max_length=255, description="Identifier system of the EHR's MRNs."
    )
    encounter_system: str = Field(default="urn:clinscribe:encounter", min_length=1, max_length=255)
    allow_loopback: bool = Field(default=False, description="Development only; refused in prod.")


class EndpointRead(BaseModel):
    base_url: str
    auth_kind: str
    patient_system: str
    encounter_system: str
    allow_loopback: bool
    updated_at: datetime


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    note_id: str
    version: int
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeadLetterRead(BaseModel):
    job_id: str
    kind: str
    subject_type: str
    subject_id: str
    attempts: int
    last_error: str | None
    finished_at: datetime | None
    delivery: dict[str, Any] | None = None
