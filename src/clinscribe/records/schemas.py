"""Patient and encounter request and response shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

Sex = Literal["female", "male", "other", "unknown"]


def _no_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("birth_date cannot be in the future")
    return value


class PatientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    mrn: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")
    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    sex: Sex = "unknown"
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None

    _birth = field_validator("birth_date")(_no_future)


class PatientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str | None = Field(default=None, min_length=1, max_length=200)
    family_name: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: date | None = None
    sex: Sex | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None

    _birth = field_validator("birth_date")(_no_future)


class PatientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    mrn: str
    given_name: str
    family_name: str
    birth_date: date | None
    sex: Sex
    phone: str | None
    email: str | None
    # Ids of the patient elsewhere, e.g. {"openemr_pid": 3}.
    external_ids: dict[str, int] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


EncounterStatus = Literal["planned", "in-progress", "finished", "cancelled"]
EncounterType = Literal["ambulatory", "emergency", "inpatient", "telehealth", "home"]


class _Period(BaseModel):
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        for name in ("started_at", "ended_at"):
            value = getattr(self, name)
            if value is None:
                continue
            if value.tzinfo is None:
                raise ValueError("timestamps need a timezone offset (e.g. 2026-01-02T09:30:00Z)")
            # Stored and returned in UTC whatever offset the client used.
            object.__setattr__(self, name, value.astimezone(UTC))
        return self


class EncounterCreate(_Period):
    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1, max_length=36)
    clinician_id: str | None = Field(
        default=None, max_length=36, description="Defaults to the calling clinician."
    )
    type: EncounterType = "ambulatory"
    status: EncounterStatus = "planned"
    reason: str | None = Field(default=None, max_length=2000)


class EncounterUpdate(_Period):
    model_config = ConfigDict(extra="forbid")

    type: EncounterType | None = None
    status: EncounterStatus | None = None
    reason: str | None = Field(default=None, max_length=2000)


class EncounterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    patient_id: str
    clinician_id: str
    type: EncounterType
    status: EncounterStatus
    reason: str | None
    started_at: datetime | None
    ended_at: datetime | None
    # Ids of the encounter elsewhere, e.g. {"openemr_encounter": 5}.
    external_ids: dict[str, int] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
