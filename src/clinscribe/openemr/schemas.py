"""Request and response shapes of the OpenEMR bridge."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

WriteBack = Literal["soap", "none"]
Role = Literal["clinician", "reviewer", "admin"]


class RoleMapIn(BaseModel):
    """Which role an OpenEMR account gets on sign-in (re-applied at every sign-in)."""

    model_config = ConfigDict(extra="forbid")

    authorized: Role = Field(default="clinician", description="For `users.authorized = 1`.")
    default: Role = Field(default="reviewer", description="For every other account.")
    users: dict[str, Role] = Field(
        default_factory=dict,
        max_length=500,
        description="Per OpenEMR user name (exact, as OpenEMR compares it), e.g. admins.",
    )

    @field_validator("users")
    @classmethod
    def _names(cls, value: dict[str, Role]) -> dict[str, Role]:
        if any(not name or len(name) > 255 or name != name.strip() for name in value):
            raise ValueError("user names must be 1-255 characters without outer spaces")
        return value


class ConnectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_url: str = Field(
        min_length=1,
        max_length=1000,
        description="mysql://user:pass@host:3306/openemr (stored sealed, never returned).",
    )
    write_back: WriteBack = "none"
    facility_id: int | None = Field(default=None, ge=1)
    role_map: RoleMapIn | None = None


class ConnectionPatch(BaseModel):
    """Change the settings without re-entering the (never returned) database URL."""

    model_config = ConfigDict(extra="forbid")

    write_back: WriteBack | None = None
    facility_id: int | None = Field(default=None, ge=1)
    role_map: RoleMapIn | None = None


class ConnectionRead(BaseModel):
    configured: bool
    host: str | None = None
    port: int | None = None
    database: str | None = None
    write_back: WriteBack = "none"
    facility_id: int | None = None
    role_map: RoleMapIn = Field(default_factory=RoleMapIn)


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
