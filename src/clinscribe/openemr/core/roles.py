"""Which Clinscribe role an OpenEMR account gets: the tenant's role map (pure).

OpenEMR's `users.authorized` marks a provider who may sign clinical documents; by default that
is a clinician here and everyone else a reviewer. A tenant can change both and name single
accounts (by OpenEMR user name, compared exactly as OpenEMR compares it). OpenEMR's phpGACL
groups are not read: their tables (`gacl_aro`, `gacl_groups_aro_map`) are outside the schema the
bridge is specified against, and a per-account entry covers the admins a site names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("clinician", "reviewer", "admin")


@dataclass(frozen=True)
class RoleMap:
    authorized: str = "clinician"
    default: str = "reviewer"
    users: Mapping[str, str] = field(default_factory=dict)

    def role_for(self, *, username: str, authorized: bool) -> str:
        """The role for this OpenEMR account: its own entry, else by `authorized`."""
        named = self.users.get(username)
        if named is not None:
            return named
        return self.authorized if authorized else self.default

    def as_dict(self) -> dict[str, Any]:
        return {"authorized": self.authorized, "default": self.default, "users": dict(self.users)}


DEFAULT = RoleMap()


def loads(raw: str | None) -> RoleMap:
    """The stored map (JSON written by `dumps`); the default when none is stored."""
    if not raw:
        return DEFAULT
    data = json.loads(raw)
    users = data.get("users") or {}
    values = [data.get("authorized", DEFAULT.authorized), data.get("default", DEFAULT.default)]
    if any(v not in ROLES for v in [*values, *users.values()]):
        raise ValueError("stored role map names an unknown role")
    return RoleMap(authorized=values[0], default=values[1], users=dict(users))


def dumps(role_map: RoleMap) -> str:
    return json.dumps(role_map.as_dict(), sort_keys=True)
