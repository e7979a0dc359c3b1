"""Tenant scoping, written once: every service reads tenant-owned rows through these helpers.

`readable(Model, principal)` is a `select()` already limited to what the caller may see: rows
of the caller's tenant and, for a clinician without `can_view_all_encounters`, only their own
encounters and the rows hanging off them (any model with an `encounter_id`). `get_readable`
fetches one row through it; a row outside the scope raises `NotFound`, never `Forbidden`, so
another tenant's id looks exactly like an id that does not exist.

`owned_by(Model, tenant_id)` is the bare tenant limit, for system actors (job handlers, the
retention purge) that act on behalf of a tenant without a caller.

A test fails if a service compares `tenant_id` by hand instead of coming through here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinscribe.db.base import Base
from clinscribe.db.models import Encounter
from clinscribe.errors import NotFound
from clinscribe.security.principal import Principal

M = TypeVar("M", bound=Base)


def _column(model: type[Base], name: str) -> InstrumentedAttribute[Any]:
    column: InstrumentedAttribute[Any] | None = getattr(model, name, None)
    if column is None:
        raise TypeError(f"{model.__name__} has no {name} column to scope by")
    return column


def owned_by(model: type[M], tenant_id: str) -> Select[M]:
    """All rows of `model` that belong to `tenant_id` (system actors only; callers use
    `readable`)."""
    return select(model).where(_column(model, "tenant_id") == tenant_id)


def visible_encounter_ids(principal: Principal) -> Select[str]:
    """Ids of the encounters the caller may see (a subquery for `IN`)."""
    return readable(Encounter, principal).with_only_columns(Encounter.id)


def readable(model: type[M], principal: Principal) -> Select[M]:
    """The rows of `model` the caller may read: their tenant's, narrowed to their own
    encounters (and what hangs off them) for a clinician who sees only their own."""
    stmt = owned_by(model, principal.tenant_id)
    if principal.sees_all_encounters:
        return stmt
    if model is Encounter:
        return stmt.where(Encounter.clinician_id == principal.user_id)
    encounter_id: InstrumentedAttribute[str] | None = getattr(model, "encounter_id", None)
    if encounter_id is not None:
        stmt = stmt.where(encounter_id.in_(visible_encounter_ids(principal)))
    return stmt


def get_readable(
    session: Session, model: type[M], object_id: object, principal: Principal, *, what: str
) -> M:
    """The row of `model` with this id if the caller may read it, else `NotFound("<what> not
    found")` — whether it is missing, another tenant's, or another clinician's."""
    row = session.execute(
        readable(model, principal).where(_column(model, "id") == object_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{what} not found")
    return row
