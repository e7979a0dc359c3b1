"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinscribe.db.base import utcnow
from clinscribe.db.models import AuditEvent, AuditHead
from clinscribe.db.pagination import fetch_page
from clinscribe.observability.context import current_request_id
from clinscribe.observability.metrics import AUDIT_EVENTS
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable

GENESIS = "0" * 64


def row_hash(
    *,
    prev_hash: str,
    occurred_at: datetime,
    tenant_id: str | None,
    actor_type: str,
    actor_id: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    request_id: str | None,
    outcome: str,
    details: str | None = None,
) -> str:
    # The id is left out on purpose: position is carried by prev_hash, so swapped ids show
    # up as a broken link ("reordered") rather than as edited content.
    fields: list[object] = [
        prev_hash,
        occurred_at.isoformat(timespec="microseconds"),
        tenant_id,
        actor_type,
        actor_id,
        action,
        object_type,
        object_id,
        request_id,
        outcome,
    ]
    if details is not None:
        # Only rows that carry details hash them: rows written before the column verify as-is.
        fields.append(details)
    body = json.dumps(fields, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _stored_hash(event: AuditEvent) -> str:
    return row_hash(
        prev_hash=event.prev_hash,
        occurred_at=event.occurred_at,
        tenant_id=event.tenant_id,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        request_id=event.request_id,
        outcome=event.outcome,
        details=event.details,
    )


def encode_details(details: Mapping[str, object]) -> str:
    """Details as stored and hashed: JSON with sorted keys and no spaces (one spelling)."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"))


def record(
    session: Session,
    *,
    action: str,
    outcome: str = "success",
    principal: Principal | None = None,
    tenant_id: str | None = None,
    actor_type: str | None = None,
    actor_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction: the change and its record commit together."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    # Microsecond precision survives every backend, so the hash recomputes identically.
    occurred_at = utcnow()
    event = AuditEvent(
        occurred_at=occurred_at,
        tenant_id=tenant_id or (principal.tenant_id if principal else None),
        actor_type=actor_type or (principal.kind if principal else "anonymous"),
        actor_id=actor_id or (principal.actor_id if principal else None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        request_id=current_request_id(),
        outcome=outcome,
        prev_hash=head.last_hash,
        details=encode_details(details) if details is not None else None,
    )
    event.hash = _stored_hash(event)
    session.add(event)
    session.flush()
    head.last_event_id = event.id
    head.last_hash = event.hash
    head.event_count += 1
    AUDIT_EVENTS.labels(outcome=outcome).inc()
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain; name the first modified, deleted or reordered row."""
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    previous_id: int | None = None
    while True:
        rows = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for event in rows:
            self_consistent = _stored_hash(event) == event.hash
            if not self_consistent:
                return VerifyResult(False, checked, event.id, f"audit row {event.id} was modified")
            if event.prev_hash != expected_prev:
                gap = previous_id is not None and event.id != previous_id + 1
                if gap or (previous_id is None and event.id != 1):
                    what = f"a row before audit row {event.id} was deleted"
                else:
                    what = f"audit row {event.id} is out of order (reordered or a row was deleted)"
                return VerifyResult(False, checked, event.id, what)
            expected_prev = event.hash
            previous_id = event.id
            checked += 1
        last_id = rows[-1].id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    total = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    if head is None:
        return VerifyResult(False, checked, None, "the audit head row is missing")
    if head.last_hash != expected_prev or head.event_count != total:
        return VerifyResult(
            False,
            checked,
            (previous_id or 0) + 1,
            f"audit rows after {previous_id or 0} were deleted (the head records "
            f"{head.event_count} rows ending at row {head.last_event_id})",
        )
    return VerifyResult(True, checked)


def list_events(
    *,
    session: Session,
    principal: Principal,
    action: str | None,
    object_id: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[AuditEvent], int]:
    """The tenant's audit events, newest first."""
    principal.require("audit:read")
    stmt = readable(AuditEvent, principal).order_by(AuditEvent.id.desc())
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    return fetch_page(session, stmt, limit=limit, offset=offset)
