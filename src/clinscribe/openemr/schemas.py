"""Request and response shapes of the OpenEMR bridge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WriteBack = Literal["soap", "none"]


class ConnectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_url: str = Field(
        min_length=1,
        max_length=1000,
        description="mysql://user:pass@host:3306/openemr (stored sealed, never returned).",
    )
    write_back: WriteBack = "none"
    facility_id: int | None = Field(default=None, ge=1)
    write_lists: bool = Field(
        default=False,
        description="Also add the problems and medications the clinician accepted to the "
        "chart's lists (medical_problem / medication / allergy) when a note is written back.",
    )


class ConnectionRead(BaseModel):
    configured: bool
    host: str | None = None
    port: int | None = None
    database: str | None = None
    write_back: WriteBack = "none"
    facility_id: int | None = None
    write_lists: bool = False


class ConnectionStatus(BaseModel):
    status: Literal["ok"]
    host: str
    database: str
    server_version: str
    tables_checked: int


class OpenEmrLoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=1024)


class SyncRead(BaseModel):
    patients_created: int
    patients_updated: int
    patients_linked: int
    patients_skipped: int
    encounters_created: int
    encounters_updated: int
    encounters_skipped: int


class FacilityRead(BaseModel):
    id: int
    name: str | None
    city: str | None
    state: str | None


class ProviderRead(BaseModel):
    id: int
    username: str
    fname: str | None
    lname: str | None
    npi: str | None
    facility_id: int
