"""The outcome of posting a bundle to an EHR."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["success", "retryable", "permanent"]


class DeliveryResult(BaseModel):
    """What happened to one delivery: success, retryable or permanent failure."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    status_code: int | None = None
    reason: str = ""  # a short cause, never clinical text
    retry_after: float | None = None
    locations: list[str] = Field(default_factory=list)
    operation_outcome: dict[str, Any] | None = None
    attempts: int = 1
    exhausted: bool = False  # retryable failures until the attempts ran out

    @property
    def resource_ids(self) -> list[str]:
        """`Type/id` of each returned location (history suffix and base URL dropped)."""
        ids = []
        for location in self.locations:
            parts = location.split("/_history/")[0].rstrip("/").split("/")
            if len(parts) >= 2:
                ids.append("/".join(parts[-2:]))
        return ids

    @property
    def delivered(self) -> bool:
        """True when the EHR accepted the bundle."""
        return self.outcome == "success"
