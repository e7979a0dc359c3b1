"""Request and response shapes of the OpenEMR bridge."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

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
    write_lists: bool = Field(
        default=False,
        description="Also add the problems and medications the clinician accepted to the "
        "chart's lists (medical_problem / medication / allergy) when a note is written back.",
    )
    role_map: RoleMapIn | None = None


class ConnectionPatch(BaseModel):
    """Change the settings without re-entering the (never returned) database URL."""

    model_config = ConfigDict(extra="forbid")

    write_back: WriteBack | None = None
    facility_id: int | None = Field(default=None, ge=1)
    write_lists: bool | None = None
    role_map: RoleMapIn | None = None


class ConnectionRead(BaseModel):
    configured: bool
    host: str | None = None
    port: int | None = None
    database: str | None = None
    write_back: WriteBack = "none"
    facility_id: int | None = None
    write_lists: bool = False
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


class SmartSettingsUpdate(BaseModel):
    """The tenant's SMART App Launch registration in OpenEMR (replaces the previous one)."""

    model_config = ConfigDict(extra="forbid")

    iss: str = Field(
        min_length=8,
        max_length=500,
        description="OpenEMR's FHIR base the launch names, e.g. https://emr/apis/default/fhir.",
    )
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: SecretStr | None = Field(
        default=None, max_length=1000, description="For a confidential client (stored sealed)."
    )
    allow_loopback: bool = Field(default=False, description="Development only; refused in prod.")


class SmartSettingsRead(BaseModel):
    configured: bool
    iss: str | None = None
    client_id: str | None = None
    confidential: bool = False
    allow_loopback: bool = False
    launch_path: str = "/smart/launch"
    redirect_path: str = "/smart/callback"


class PlacedVersion(BaseModel):
    """One signed version's write-back: its job, and where it landed once written."""

    version: int
    status: Literal["pending", "written", "failed", "dead"]
    attempts: int
    last_error: str | None = None
    encounter: int | None = None
    form_id: int | None = Field(default=None, description="form_soap.id")
    forms_row_id: int | None = Field(default=None, description="forms.id attaching it")
    superseded_by_version: int | None = None
    written_at: datetime | None = None


class NotePlacement(BaseModel):
    """Where a note went in OpenEMR (empty `versions` if it is not written back)."""

    linked: bool = Field(description="The note's encounter came from or goes to OpenEMR.")
    pid: int | None = None
    encounter: int | None = None
    ledger_checked: bool = Field(description="False when OpenEMR could not be asked just now.")
    versions: list[PlacedVersion] = Field(default_factory=list)


class OpenEmrOverview(BaseModel):
    """The admin screen's summary: connection, SMART registration, last sync, linked counts."""

    connection: ConnectionRead
    smart: SmartSettingsRead
    last_sync_at: datetime | None = None
    patients_linked: int
    encounters_linked: int
    users_linked: int
    writes_pending: int
    writes_dead: int
