"""Who is calling, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from clinscribe.errors import Forbidden

PrincipalKind = Literal["user", "api_key", "oidc", "guest"]

# Permissions are "<object>:<verb>". Roles and API-key scopes both map onto them.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "clinician": frozenset(
        {
            "tenant:read",
            "patients:read",
            "patients:write",
            "encounters:read",
            "encounters:write",
            "notes:read",
            "notes:deliver",
            "notes:write",
            "notes:review",
            # Accept, reject and edit entries of the clinical record (a clinician's decision).
            "record:decide",
        }
    ),
    "reviewer": frozenset(
        {
            "tenant:read",
            "patients:read",
            "encounters:read",
            "users:read",
            "notes:read",
            "notes:review",
            "notes:deliver",
        }
    ),
    "admin": frozenset(
        {
            "tenant:read",
            "patients:read",
            "patients:write",
            "patients:delete",
            "encounters:read",
            "encounters:write",
            "encounters:delete",
            "notes:read",
            "notes:deliver",
            "users:read",
            "users:write",
            "api_keys:manage",
            "audit:read",
            "tenant:write",
            "controls:read",
        }
    ),
}

_READ_SCOPE = frozenset({"tenant:read", "patients:read", "encounters:read", "notes:read"})
_WRITE_SCOPE = _READ_SCOPE | {"patients:write", "encounters:write", "notes:deliver"}
# Scopes are cumulative: write includes read, admin includes write.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "read": _READ_SCOPE,
    "write": _WRITE_SCOPE,
    "admin": _WRITE_SCOPE
    | {
        "patients:delete",
        "encounters:delete",
        "users:read",
        "users:write",
        "api_keys:manage",
        "audit:read",
        "tenant:write",
        "controls:read",
    },
}
SCOPES = tuple(SCOPE_PERMISSIONS)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, always bound to exactly one tenant."""

    kind: PrincipalKind
    tenant_id: str
    actor_id: str
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    user_id: str | None = None
    can_view_all_encounters: bool = False
    # SMART scopes of a credential narrowed for FHIR apps (None: not narrowed, the role's or
    # key's permissions apply), and the patient a `patient/` scope is limited to.
    smart_scopes: frozenset[str] | None = None
    patient_context: str | None = None
    # How and when the user signed in (RFC 8176 `amr`, unix `auth_time`): what step-up reads.
    amr: frozenset[str] = field(default_factory=frozenset)
    auth_time: int | None = None
    # An API key's own requests-per-minute budget (None: the global per-client limit only).
    rate_limit_per_minute: int | None = None

    @property
    def permissions(self) -> frozenset[str]:
        if self.smart_scopes is not None and self.kind != "api_key":
            # A token narrowed to SMART scopes reads through the FHIR API only.
            return frozenset()
        if self.kind == "guest":
            return SCOPE_PERMISSIONS["read"]
        if self.kind == "api_key":
            perms: set[str] = set()
            for scope in self.scopes:
                perms |= SCOPE_PERMISSIONS.get(scope, frozenset())
            return frozenset(perms)
        return ROLE_PERMISSIONS.get(self.role or "", frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"missing permission {permission}")

    @property
    def sees_all_encounters(self) -> bool:
        """Clinicians see their own encounters unless granted more; everyone else the tenant's."""
        if self.kind in ("api_key", "guest") or self.role in ("reviewer", "admin"):
            return True
        return self.can_view_all_encounters
