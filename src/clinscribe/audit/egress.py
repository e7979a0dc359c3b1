"""The PHI egress log: one audit-chain event per call that sends PHI out of the deployment.

Every egress point (remote ASR, LLM refinement, EHR FHIR delivery, OpenEMR write-back) calls
`record` once per call it makes, whatever the outcome. The event names the processor, the
destination host (never a path, query or credentials), the purpose, the objects concerned and
how many bytes left; never any content. It sits in the hash chain with its details, so an edited
egress event fails `admin verify-audit` like any other row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import Select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.audit.schemas import EgressEventRead
from clinscribe.db.models import AuditEvent
from clinscribe.db.pagination import fetch_page
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable

Processor = Literal["remote_asr", "llm", "ehr_fhir", "openemr"]
PROCESSORS: tuple[Processor, ...] = ("remote_asr", "llm", "ehr_fhir", "openemr")
# sent: the processor took it; refused: it answered with an error; failed: no answer (the data
# may or may not have left, so it is logged all the same).
Outcome = Literal["sent", "refused", "failed"]
ACTION_PREFIX = "phi.egress."
EXPORT_MAX = 50_000
_SURVIVORS = "clinscribe.egress_survivors"  # in `Session.info`, which outlives a rollback
CSV_COLUMNS = tuple(EgressEventRead.model_fields)


def destination_host(url: str) -> str:
    """`host[:port]` of a URL: no scheme, user name, password, path or query."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "invalid"
    if not host:
        return "unknown"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def record(
    session: Session,
    *,
    tenant_id: str,
    processor: Processor,
    destination_url: str,
    purpose: str,
    object_type: str,
    object_ids: Sequence[str],
    byte_count: int,
    outcome: Outcome,
    principal: Principal | None = None,
    actor_type: str | None = None,
    actor_id: str | None = None,
    survive_rollback: bool = False,
) -> AuditEvent:
    """Append one egress event in the caller's transaction (it commits with the caller).

    With `survive_rollback`, the request's session owner writes it again should the transaction
    roll back (`after_rollback`): the data left whatever happens to the request after.
    """
    if survive_rollback:
        again = dict(
            tenant_id=tenant_id,
            processor=processor,
            destination_url=destination_url,
            purpose=purpose,
            object_type=object_type,
            object_ids=list(object_ids),
            byte_count=byte_count,
            outcome=outcome,
            principal=principal,
            actor_type=actor_type,
            actor_id=actor_id,
        )
        session.info.setdefault(_SURVIVORS, []).append(again)
    ids = [str(i) for i in object_ids if i]
    return audit.record(
        session,
        action=ACTION_PREFIX + processor,
        outcome=outcome,
        principal=principal,
        tenant_id=tenant_id,
        actor_type=actor_type,
        actor_id=actor_id,
        object_type=object_type,
        object_id=ids[0] if ids else None,
        details={
            "processor": processor,
            "destination": destination_host(destination_url),
            "purpose": purpose,
            "object_ids": ids,
            "bytes": int(byte_count),
        },
    )


def after_rollback(session: Session) -> int:
    """Write again the egress events a rolled-back transaction took with it (the caller
    commits); returns how many."""
    kept: list[dict[str, Any]] = session.info.pop(_SURVIVORS, [])
    for event in kept:
        record(session, **event)
    return len(kept)


def committed(session: Session) -> None:
    """The transaction committed: its egress events are stored, nothing to write again."""
    session.info.pop(_SURVIVORS, None)


def _statement(
    principal: Principal, since: datetime | None, processor: Processor | None
) -> Select[AuditEvent]:
    principal.require("audit:read")
    stmt = readable(AuditEvent, principal).order_by(AuditEvent.id.desc())
    if processor is not None:
        stmt = stmt.where(AuditEvent.action == ACTION_PREFIX + processor)
    else:
        stmt = stmt.where(AuditEvent.action.in_([ACTION_PREFIX + p for p in PROCESSORS]))
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    return stmt


def to_read(event: AuditEvent) -> EgressEventRead:
    details = json.loads(event.details or "{}")
    return EgressEventRead(
        id=event.id,
        occurred_at=event.occurred_at,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        processor=str(details.get("processor", event.action.removeprefix(ACTION_PREFIX))),
        destination=str(details.get("destination", "")),
        purpose=str(details.get("purpose", "")),
        object_type=event.object_type,
        object_ids=[str(i) for i in details.get("object_ids", [])],
        bytes=int(details.get("bytes", 0)),
        outcome=event.outcome,
        request_id=event.request_id,
    )


def list_events(
    *,
    session: Session,
    principal: Principal,
    since: datetime | None,
    processor: Processor | None,
    limit: int,
    offset: int,
) -> tuple[list[EgressEventRead], int]:
    """The tenant's egress events, newest first (admins: `audit:read`)."""
    rows, total = fetch_page(
        session, _statement(principal, since, processor), limit=limit, offset=offset
    )
    return [to_read(r) for r in rows], total


def export_csv(
    *,
    session: Session,
    principal: Principal,
    since: datetime | None,
    processor: Processor | None,
) -> str:
    """The same events as CSV, newest first, at most EXPORT_MAX rows (narrow with `since`);
    the export itself is audited."""
    stmt = _statement(principal, since, processor).limit(EXPORT_MAX)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in session.execute(stmt).scalars():
        item = to_read(event).model_dump()
        item["occurred_at"] = event.occurred_at.isoformat()
        item["object_ids"] = " ".join(item["object_ids"])
        writer.writerow([item[c] for c in CSV_COLUMNS])
    audit.record(session, action="egress.export", principal=principal, object_type="egress_log")
    return buffer.getvalue()
