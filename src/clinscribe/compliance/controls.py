"""The controls registry: each control is a small check function with its requirement refs.

A check returns a status and the evidence behind it. Capabilities added later (or merged from
elsewhere) add theirs with `register`; a check that finds its feature missing from this build
answers `absent` rather than guessing. `Settings.required_controls` names the controls whose
failure (or absence) makes the report fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from clinscribe.compliance.results import now as utc_now
from clinscribe.config import Settings

Status = Literal["pass", "warn", "fail", "absent"]
Outcome = tuple[Status, dict[str, Any]]


@dataclass
class Context:
    """What every check may read: settings, a read-only session, the time, shared results."""

    settings: Settings
    session: Session
    now: datetime
    cache: dict[str, Any] = field(default_factory=dict)


Check = Callable[[Context], Outcome]


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    requirements: tuple[str, ...]
    check: Check


@dataclass(frozen=True)
class ControlResult:
    id: str
    title: str
    requirements: tuple[str, ...]
    status: Status
    required: bool
    evidence: dict[str, Any]

    @property
    def failing(self) -> bool:
        return self.required and self.status in ("fail", "absent")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "requirements": list(self.requirements),
            "status": self.status,
            "required": self.required,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    profile: str
    controls: list[ControlResult]

    @property
    def ok(self) -> bool:
        return not any(c.failing for c in self.controls)

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {"pass": 0, "warn": 0, "fail": 0, "absent": 0}
        for c in self.controls:
            counts[c.status] += 1
        return {
            "generated_at": self.generated_at.isoformat(),
            "profile": self.profile,
            "ok": self.ok,
            "failing_required": [c.id for c in self.controls if c.failing],
            "counts": counts,
            "controls": [c.as_dict() for c in self.controls],
        }


REGISTRY: dict[str, Control] = {}


def register(
    control_id: str, title: str, requirements: tuple[str, ...]
) -> Callable[[Check], Check]:
    """Add a check to the registry under `control_id` (a later registration replaces it)."""

    # A bare "V6.4.2" after an "ASVS 4.0.3 V…" reference is the same standard: say so in full.
    refs = tuple(f"ASVS 4.0.3 {r}" if r.startswith("V") else r for r in requirements)

    def add(check: Check) -> Check:
        REGISTRY[control_id] = Control(control_id, title, refs, check)
        return check

    return add


def evaluate(settings: Settings, session: Session, *, at: datetime | None = None) -> Report:
    """Run every registered check."""
    return evaluate_in(Context(settings=settings, session=session, now=at or utc_now()))


def evaluate_in(context: Context) -> Report:
    """Run every registered check in `context` (whose cache others may read afterwards); a
    check that raises is reported as `fail`, never hidden."""
    required = set(context.settings.required_controls)
    results = []
    for control in REGISTRY.values():
        try:
            status, evidence = control.check(context)
        except Exception as exc:  # one broken check must not hide the others' evidence
            status, evidence = "fail", {"error": f"check failed: {type(exc).__name__}"}
        results.append(
            ControlResult(
                control.id,
                control.title,
                control.requirements,
                status,
                control.id in required,
                evidence,
            )
        )
    return Report(context.now, context.settings.profile, results)
