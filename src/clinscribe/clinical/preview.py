"""What signing a note would put in the record, shown while the note is still in review.

The preview runs the same hand-over (`clinical.core.proposals.from_note`) that signing runs, on
the note's current version, and stores nothing; so the note review's "will be added to the
record" list and what signing proposes cannot drift apart. Each entry says whether the record
already holds the fact (then signing only adds the note as a further source).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from clinscribe.clinical import handover
from clinscribe.clinical.core import rules
from clinscribe.clinical.core.proposals import from_note
from clinscribe.db.models import Encounter, RecordMixin
from clinscribe.errors import NotFound
from clinscribe.review import service as review
from clinscribe.security.principal import Principal


class PreviewEntryRead(BaseModel):
    resource: str = Field(description="observation, medication, condition, allergy or order.")
    values: dict[str, Any] = Field(description="The entry's fields as signing would store them.")
    record_state: str | None = Field(
        description="proposed or active when the record already holds the fact, else null."
    )


class RecordPreviewRead(BaseModel):
    note_id: str
    note_version: int
    patient_id: str
    entries: list[PreviewEntryRead]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def preview_note(*, session: Session, principal: Principal, note_id: str) -> dict[str, Any]:
    """The entries the note's current version proposes, in hand-over order (nothing stored)."""
    principal.require("patients:read")
    note = review.get(session=session, principal=principal, note_id=note_id, audit_read=False)
    encounter = session.get(Encounter, note.encounter_id)
    if encounter is None:
        raise NotFound("note not found")
    version = review.current_version(session=session, note=note)
    proposals = from_note(handover._note_facts(session, note, version), handover.resolve)
    known: dict[str, dict[str, RecordMixin]] = {}
    entries = []
    for p in proposals:
        if rules.problems(p.resource, p.values):
            continue  # signing skips it too (e.g. a value read without a time)
        if p.resource not in known:
            known[p.resource] = handover._existing(
                session, principal.tenant_id, encounter.patient_id, p.resource
            )
        row = known[p.resource].get(p.key)
        entries.append(
            {
                "resource": p.resource,
                "values": {k: _plain(v) for k, v in p.values.items()},
                "record_state": row.state if row is not None else None,
            }
        )
    return {
        "note_id": note.id,
        "note_version": version.version,
        "patient_id": encounter.patient_id,
        "entries": entries,
    }
