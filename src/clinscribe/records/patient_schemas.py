"""Patient request and response shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

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
    created_at: datetime
    updated_at: datetime
