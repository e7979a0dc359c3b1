"""Retention settings and the purge report."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

MAX_RETENTION_DAYS = 36_500  # a hundred years: anything longer is a typo, not a policy

RetentionDays = Annotated[StrictInt, Field(ge=1, le=MAX_RETENTION_DAYS)]


class RetentionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    retention_days: int | None = Field(
        description="Days after an encounter ends (or, never ended, was created) before it is "
        "exported and purged; null keeps everything forever."
    )


class RetentionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: RetentionDays | None = Field(
        description=f"1-{MAX_RETENTION_DAYS} days, or null to keep forever."
    )


class TenantPurge(BaseModel):
    """What one purge run did (or, dry, would do) for one tenant."""

    tenant_id: str
    retention_days: int
    cutoff: str
    due: int = 0
    purged: int = 0
    held: list[str] = Field(
        default_factory=list, description="Encounters kept: a signed note is not delivered yet."
    )
    counts: dict[str, int] = Field(default_factory=dict)


class PurgeReport(BaseModel):
    dry_run: bool
    tenants: list[TenantPurge] = Field(default_factory=list)
    export_dir: str | None = None
    exported_files: int = 0

    @property
    def due(self) -> int:
        return sum(t.due for t in self.tenants)

    @property
    def purged(self) -> int:
        return sum(t.purged for t in self.tenants)

    @property
    def held(self) -> int:
        return sum(len(t.held) for t in self.tenants)

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for tenant in self.tenants:
            for key, value in tenant.counts.items():
                out[key] = out.get(key, 0) + value
        return out

    def summary(self) -> dict[str, Any]:
        return {
            **self.model_dump(),
            "due": self.due,
            "purged": self.purged,
            "held": self.held,
            "totals": self.totals(),
        }
