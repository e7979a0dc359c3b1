"""Writing a signed note into OpenEMR as a SOAP form, exactly once per signed note version.

Signing queues an `openemr_write` job in the signing transaction (the outbox). The job writes,
in ONE OpenEMR transaction: the encounter (`form_encounter` + its `forms` row) when ours began
in Clinscribe, the `form_soap` and its `forms` row, the vitals form (`form_vitals` + `forms`),
the accepted problems and medications (`lists`, when the tenant opted in) and the ledger rows
(`ledger.py`) whose unique keys make a retried or duplicated job a no-op. A killed connection
rolls everything back: nothing partial is ever visible in OpenEMR. An amended note's new version
gets a new form; the earlier one is marked superseded in the ledger, and OpenEMR's own rows are
never edited.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.audit import egress
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Encounter, Job, Note, NoteVersion, Patient, Tenant, User
from clinscribe.jobs import queue as workqueue
from clinscribe.openemr import forms, ledger, service
from clinscribe.openemr.connection import OpenEmrUnavailable, connect
from clinscribe.openemr.core.lists import ListItem
from clinscribe.openemr.core.soap import NotSoapShaped, SoapForm, soap_form
from clinscribe.openemr.core.vitals import VitalsForm, vitals_form
from clinscribe.openemr.refusals import (
    AuthorMissing,
    EncounterMissing,
    FacilityMissing,
    NotLinked,
    PatientMissing,
    WriteBackRefused,
)
from clinscribe.openemr.selection import accepted_list_items
from clinscribe.review import service as review

KIND = "openemr_write"
SUBJECT_PREFIX = "note_version:"

__all__ = ["KIND", "SUBJECT_PREFIX", "FormInput", "Placement", "WriteBackRefused"]


@dataclass(frozen=True)
class Placement:
    """Where a note version landed in OpenEMR."""

    note_id: str
    version: int
    pid: int
    encounter: int
    form_soap_id: int
    forms_id: int
    already: bool = False
    encounter_created: bool = False
    form_vitals_id: int | None = None
    lists_added: int = 0


@dataclass(frozen=True)
class FormInput:
    """Everything one write needs, read from our database before OpenEMR is touched."""

    note_id: str
    version: int
    pid: int
    encounter: int | None
    openemr_user_id: int
    form: SoapForm
    encounter_id: str = ""
    encounter_date: datetime | None = None
    reason: str = ""
    facility_id: int | None = None
    vitals: VitalsForm | None = None
    list_items: list[ListItem] = field(default_factory=list)


def queue(*, session: Session, settings: Settings, note: Note) -> bool:
    """In the signing transaction: queue the write-back if this note belongs in OpenEMR.

    It does when the tenant writes back and the encounter is OpenEMR's, or began here for a
    patient OpenEMR knows (write-back then creates the encounter there first).
    """
    tenant = session.get(Tenant, note.tenant_id)
    encounter = session.get(Encounter, note.encounter_id)
    if (
        tenant is None
        or tenant.openemr_write_back != "soap"
        or not tenant.openemr_url_encrypted
        or encounter is None
        or note.signed_version is None
    ):
        return False
    if encounter.openemr_encounter is None:
        patient = session.get(Patient, encounter.patient_id)
        if patient is None or patient.openemr_pid is None:
            return False
    workqueue.create(
        session=session,
        tenant_id=note.tenant_id,
        kind=KIND,
        subject_type=f"{SUBJECT_PREFIX}{note.signed_version}",
        subject_id=note.id,
        max_attempts=settings.delivery_max_attempts,
    )
    return True


def form_input(session: Session, note_id: str, version: int) -> FormInput:
    """What to write for one signed version, from our database (refusals are final)."""
    note = session.get(Note, note_id)
    row = session.execute(
        select(NoteVersion).where(NoteVersion.note_id == note_id, NoteVersion.version == version)
    ).scalar_one_or_none()
    if note is None or row is None:
        raise WriteBackRefused("the note version no longer exists")
    encounter = session.get(Encounter, note.encounter_id)
    patient = session.get(Patient, encounter.patient_id) if encounter else None
    tenant = session.get(Tenant, note.tenant_id)
    if encounter is None or patient is None or tenant is None:
        raise WriteBackRefused("the note's encounter no longer exists")
    if patient.openemr_pid is None:
        raise NotLinked("the note's patient is not linked to OpenEMR")
    signer = session.get(User, note.signed_by) if note.signed_by else None
    if signer is None or signer.openemr_user_id is None:
        raise NotLinked("the signing clinician has no linked OpenEMR account")
    content = review.content_of(row)
    try:
        form = soap_form((s.key, s.title, s.text) for s in content.sections)
    except NotSoapShaped as exc:
        raise WriteBackRefused(str(exc), code=exc.code) from exc
    return FormInput(
        note_id=note.id,
        version=version,
        pid=int(patient.openemr_pid),
        encounter=None if encounter.openemr_encounter is None else int(encounter.openemr_encounter),
        openemr_user_id=int(signer.openemr_user_id),
        form=form,
        encounter_id=encounter.id,
        encounter_date=encounter.started_at or encounter.created_at,
        reason=encounter.reason or "",
        facility_id=tenant.openemr_facility_id,
        vitals=vitals_form(content.vitals),
        list_items=accepted_list_items(content) if tenant.openemr_write_lists else [],
    )


def _author(conn: Connection, user_id: int) -> forms.Author:
    row = (
        conn.execute(
            text(
                "SELECT id, username, authorized, facility_id FROM users "
                "WHERE id = :id AND active = 1"
            ),
            {"id": user_id},
        )
        .mappings()
        .first()
    )
    if row is None or not row["username"]:
        raise AuthorMissing("the signing clinician's OpenEMR account is missing or inactive")
    return forms.Author(
        id=int(row["id"]),
        username=str(row["username"]),
        authorized=int(row["authorized"] or 0),
        facility_id=int(row["facility_id"] or 0),
    )


def _facility(conn: Connection, item: FormInput, author: forms.Author) -> tuple[int, str | None]:
    facility_id = item.facility_id or author.facility_id
    name = conn.execute(
        text("SELECT name FROM facility WHERE id = :id"), {"id": facility_id}
    ).scalar()
    if name is None and item.facility_id is not None:
        raise FacilityMissing("the configured OpenEMR facility does not exist")
    return facility_id, None if name is None else str(name)


def _encounter(conn: Connection, item: FormInput, author: forms.Author) -> tuple[int, bool]:
    """The OpenEMR encounter number to attach to, creating the encounter when ours is new."""
    if not conn.execute(
        text("SELECT 1 FROM patient_data WHERE pid = :pid"), {"pid": item.pid}
    ).first():
        raise PatientMissing("the note's OpenEMR patient does not exist")
    if item.encounter is not None:
        if not conn.execute(
            text("SELECT 1 FROM form_encounter WHERE pid = :pid AND encounter = :enc"),
            {"pid": item.pid, "enc": item.encounter},
        ).first():
            raise EncounterMissing("the OpenEMR encounter does not exist (or not for this patient)")
        return item.encounter, False
    made = ledger.encounter_for(conn, item.encounter_id)
    if made is not None:
        return made, False
    number, form_encounter_id, forms_id = forms.create_encounter(
        conn,
        author=author,
        pid=item.pid,
        when=(item.encounter_date or utcnow()).replace(tzinfo=None),
        reason=item.reason,
        facility=_facility(conn, item, author),
    )
    ledger.record_encounter(
        conn, item.encounter_id, item.pid, number, (form_encounter_id, forms_id)
    )
    return number, True


def _placement(item: FormInput, written: ledger.Written, **extra: bool) -> Placement:
    return Placement(
        item.note_id,
        item.version,
        item.pid,
        written.encounter,
        written.form_soap_id,
        written.forms_id,
        form_vitals_id=written.form_vitals_id,
        lists_added=written.lists_added,
        **extra,
    )


def _write(conn: Connection, item: FormInput) -> Placement:
    found = ledger.find(conn, item.note_id, item.version)
    if found is not None:
        return _placement(item, found, already=True)
    author = _author(conn, item.openemr_user_id)
    encounter, created = _encounter(conn, item, author)
    soap_id, forms_id = forms.add_soap(
        conn, author=author, pid=item.pid, encounter=encounter, soap=item.form
    )
    vitals_ids: tuple[int | None, int | None] = (None, None)
    digest = item.vitals.digest() if item.vitals is not None else None
    if item.vitals is not None:
        earlier = ledger.latest_before(conn, item.note_id, item.version)
        if earlier is not None and earlier.vitals_digest == digest:
            # An amendment that leaves the vitals as they were adds no second vitals form.
            vitals_ids = (earlier.form_vitals_id, earlier.vitals_forms_id)
        else:
            vitals_ids = forms.add_vitals(
                conn, author=author, pid=item.pid, encounter=encounter, vitals=item.vitals
            )
    lists_added = forms.add_list_items(conn, author=author, pid=item.pid, items=item.list_items)
    written = ledger.Written(
        encounter=encounter,
        form_soap_id=soap_id,
        forms_id=forms_id,
        form_vitals_id=vitals_ids[0],
        vitals_forms_id=vitals_ids[1],
        vitals_digest=digest,
        lists_added=lists_added,
    )
    ledger.record(conn, item.note_id, item.version, item.pid, written)
    return _placement(item, written, encounter_created=created)


def write(url: str, item: FormInput) -> Placement:
    """Write one note version (or find it written); all or nothing in one OpenEMR transaction."""
    ledger.ensure(url)
    try:
        with connect(url) as conn:
            return _write(conn, item)
    except OpenEmrUnavailable as exc:
        # A concurrent writer of the same version won the unique key: it is written once.
        if isinstance(exc.__cause__, IntegrityError):
            with connect(url) as conn:
                found = ledger.find(conn, item.note_id, item.version)
            if found is not None:
                return _placement(item, found, already=True)
        raise


def record_placement(session: Session, item: FormInput, placed: Placement) -> None:
    """Keep on our encounter the OpenEMR encounter it is (now) attached to (`external_ids`)."""
    encounter = session.get(Encounter, item.encounter_id)
    if encounter is not None and encounter.openemr_encounter is None:
        encounter.openemr_encounter = placed.encounter


def payload_bytes(item: FormInput) -> int:
    """Bytes of clinical content one write sends: the SOAP form, vitals and list items."""
    parts: list[object] = [asdict(item.form), [asdict(i) for i in item.list_items]]
    if item.vitals is not None:
        parts.append(asdict(item.vitals))
    return len(json.dumps(parts, default=str).encode())


def record_egress(
    session: Session, job: Job, item: FormInput, url: str, outcome: egress.Outcome
) -> None:
    """The write-back's PHI egress event: the OpenEMR database host, never its credentials."""
    egress.record(
        session,
        tenant_id=job.tenant_id,
        processor="openemr",
        destination_url=url,
        purpose="note_write_back",
        object_type="note",
        object_ids=[item.note_id, f"version:{item.version}"],
        byte_count=payload_bytes(item),
        outcome=outcome,
        actor_type="system",
        actor_id=job.id,
    )


def tenant_url(session: Session, settings: Settings, tenant_id: str) -> str:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise WriteBackRefused("the tenant no longer exists")
    return service.database_url(settings=settings, tenant=tenant)
