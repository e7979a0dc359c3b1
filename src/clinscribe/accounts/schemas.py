"""Request and response shapes for accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from clinscribe.security import smart
from clinscribe.security.networks import MAX_NETWORKS, normalise
from clinscribe.security.passwords import MIN_PASSWORD_LENGTH

RoleName = Literal["clinician", "reviewer", "admin"]
ScopeName = Literal["read", "write", "admin"]


def _key_scope(value: str) -> str:
    if value in ("read", "write", "admin") or ("," not in value and smart.is_smart(value)):
        return value
    raise ValueError("a scope is read, write, admin or a SMART scope such as user/*.read")


# What an API key may hold: a scope name, or a SMART scope limiting it on the FHIR API.
KeyScope = Annotated[str, StringConstraints(max_length=60), AfterValidator(_key_scope)]


EgressPolicy = Literal["deny", "deidentify", "allow"]


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    phi_egress_policy: EgressPolicy
    asr_engine: Literal["offline", "remote"]
    allow_self_approval: bool
    llm_base_url: str | None
    llm_model: str | None
    # Days after an encounter ends before the purge removes it (set via /tenant/retention).
    retention_days: int | None = None
    created_at: datetime


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phi_egress_policy: EgressPolicy | None = Field(
        default=None,
        description="What may leave this installation: nothing, de-identified text, or anything.",
    )
    asr_engine: Literal["offline", "remote"] | None = Field(
        default=None, description="remote is used only when the egress policy is allow."
    )
    allow_self_approval: bool | None = None
    llm_base_url: str | None = Field(
        default=None, max_length=500, description="OpenAI-compatible base URL, e.g. .../v1"
    )
    llm_model: str | None = Field(default=None, max_length=200)
    llm_api_key: str | None = Field(
        default=None, max_length=1000, description="Write-only; stored encrypted."
    )


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: RoleName
    full_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    can_view_all_encounters: bool = False


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = None
    full_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    can_view_all_encounters: bool | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    email: str
    full_name: str | None
    role: RoleName
    can_view_all_encounters: bool
    is_active: bool
    created_at: datetime


# A key's own budget; None leaves it to the global per-client limit only.
KeyRateLimit = Annotated[int, Field(ge=1, le=100_000)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[KeyScope] = Field(min_length=1)
    rate_limit_per_minute: KeyRateLimit | None = Field(
        default=None, description="This key's own requests per minute (429 past it)."
    )

    @field_validator("scopes")
    @classmethod
    def _fits(cls, scopes: list[str]) -> list[str]:
        # Stored comma-joined in a 100-character column.
        if len(",".join(sorted(set(scopes)))) > 100:
            raise ValueError("the scopes together must fit in 100 characters")
        return scopes


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    rate_limit_per_minute: int | None = None


class ApiKeyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_limit_per_minute: KeyRateLimit | None = Field(
        description="This key's own requests per minute; null removes its own limit."
    )


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret key. Shown once; only its HMAC is stored.")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=10, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Access token lifetime in seconds.")


class MfaChallenge(BaseModel):
    """A right password with a second factor enrolled: finish at `POST /auth/mfa/verify`."""

    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="Single-purpose ticket for the second step only.")
    expires_in: int = Field(description="Ticket lifetime in seconds.")


TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
RecoveryCode = Annotated[
    str, StringConstraints(min_length=10, max_length=20, pattern=r"^[A-Za-z0-9 -]+$")
]


class MfaCode(BaseModel):
    """A current authenticator code, or (in place of one) an unused recovery code."""

    model_config = ConfigDict(extra="forbid")

    code: TotpCode | None = Field(default=None, description="Six digits from the authenticator.")
    recovery_code: RecoveryCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MfaCode:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("give either code or recovery_code")
        return self


class MfaConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: TotpCode


class MfaVerify(MfaCode):
    mfa_token: str = Field(min_length=10, max_length=4096)


class MfaEnrolment(BaseModel):
    otpauth_uri: str = Field(description="For authenticator apps; holds the shared secret.")
    qr_code: str = Field(description="The same URI as an SVG QR code (a data: URI).")
    secret: str = Field(description="The shared secret, for typing in by hand.")


class MfaConfirmed(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once; each works once.")
    session: TokenPair = Field(description="A fresh session whose second factor is current.")


class MfaStatus(BaseModel):
    enrolled: bool
    required: bool = Field(description="The tenant requires a second factor for this role.")


class TenantSecurityRead(BaseModel):
    mfa_required_roles: list[RoleName]
    step_up_minutes: int


class TenantSecurityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mfa_required_roles: list[RoleName] = Field(max_length=3)
    step_up_minutes: int = Field(ge=1, le=24 * 60)


def _network_list(values: list[str]) -> list[str]:
    try:
        return normalise(values)
    except ValueError as exc:
        # The message names the problem, never the rejected value.
        raise ValueError(str(exc)) from None


class IpAllowlistUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    networks: Annotated[
        list[Annotated[str, StringConstraints(max_length=64)]],
        Field(max_length=MAX_NETWORKS),
        AfterValidator(_network_list),
    ] = Field(description="CIDRs (IPv4 or IPv6); an empty list restricts nothing.")
    confirm_lockout: bool = Field(
        default=False,
        description="Save even though the caller's own address is not in the list.",
    )


class IpAllowlistRead(BaseModel):
    networks: list[str]
    your_address: str | None = Field(description="The address this request came from.")
    you_are_allowed: bool
