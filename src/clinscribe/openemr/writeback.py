"""Writing a signed note into OpenEMR as a SOAP form, exactly once per signed note version.

Signing queues an `openemr_write` job in the signing transaction (the outbox). The job writes
`form_soap`, the `forms` row that attaches it to the encounter, and a row of our ledger table in
the OpenEMR database, all in ONE OpenEMR transaction; the ledger's unique key on (note, version)
makes a retried or duplicated job a no-op. A killed connection rolls everything back: nothing
partial is ever visible in OpenEMR. An amended note's new version gets a new form; the earlier
one is marked superseded in the ledger, and OpenEMR's own rows are never edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.models import Encounter, Note, NoteVersion, Patient, Tenant, User
from clinscribe.errors import ClinscribeError
from clinscribe.jobs import queue as workqueue
from clinscribe.openemr import service
from clinscribe.openemr.connection import OpenEmrUnavailable, connect
from clinscribe.openemr.core.soap import NotSoapShaped, SoapForm, soap_form
from clinscribe.review import service as review

KIND = "openemr_write"
SUBJECT_PREFIX = "note_version:"

# The ledger (`core.schema.LEDGER_TABLE`); its unique key is what makes writes exactly-once.
LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS `clinscribe_writeback` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `note_id` varchar(36) NOT NULL,
  `note_version` int(11) NOT NULL,
  `pid` bigint(20) NOT NULL,
  `encounter` bigint(20) NOT NULL,
  `form_soap_id` bigint(20) NOT NULL,
  `forms_id` bigint(20) NOT NULL,
  `superseded_by_version` int(11) DEFAULT NULL,
  `written_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_note_version` (`note_id`, `note_version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
"""


class WriteBackRefused(ClinscribeError):
    """The note cannot become an OpenEMR form (retrying cannot help)."""

    status_code = 422
    code = "openemr_write_refused"


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


@dataclass(frozen=True)
class FormInput:
    note_id: str
    version: int
    pid: int
    encounter: int
    openemr_user_id: int
    form: SoapForm


def queue(*, session: Session, settings: Settings, note: Note) -> bool:
    """In the signing transaction: queue the write-back if this note belongs in OpenEMR."""
    tenant = session.get(Tenant, note.tenant_id)
    encounter = session.get(Encounter, note.encounter_id)
    if (
        tenant is None
        or tenant.openemr_write_back != "soap"
        or not tenant.openemr_url_encrypted
        or encounter is None
        or encounter.openemr_encounter is None
        or note.signed_version is None
    ):
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
    if encounter is None or patient is None or encounter.openemr_encounter is None:
        raise WriteBackRefused("the note's encounter is not linked to OpenEMR")
    if patient.openemr_pid is None:
        raise WriteBackRefused("the note's patient is not linked to OpenEMR")
    signer = session.get(User, note.signed_by) if note.signed_by else None
    if signer is None or signer.openemr_user_id is None:
        raise WriteBackRefused("the signing clinician has no linked OpenEMR account")
    content = review.content_of(row)
    try:
        form = soap_form((s.key, s.title, s.text) for s in content.sections)
    except NotSoapShaped as exc:
        raise WriteBackRefused(str(exc)) from exc
    return FormInput(
        note_id=note.id,
        version=version,
        pid=int(patient.openemr_pid),
        encounter=int(encounter.openemr_encounter),
        openemr_user_id=int(signer.openemr_user_id),
        form=form,
    )


def ensure_ledger(url: str) -> None:
    # DDL commits implicitly in MariaDB, so it never shares the write's transaction.
    with connect(url) as conn:
        conn.execute(text(LEDGER_DDL))


def _generate_id(conn: Connection) -> int:
    """OpenEMR's `generate_id()`: the shared counter encounters and form ids come from."""
    conn.execute(text("UPDATE sequences SET id = LAST_INSERT_ID(id + 1)"))
    return int(conn.execute(text("SELECT LAST_INSERT_ID()")).scalar_one())


def _existing(conn: Connection, item: FormInput) -> Placement | None:
    row = (
        conn.execute(
            text(
                "SELECT form_soap_id, forms_id FROM clinscribe_writeback "
                "WHERE note_id = :n AND note_version = :v"
            ),
            {"n": item.note_id, "v": item.version},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Placement(
        item.note_id,
        item.version,
        item.pid,
        item.encounter,
        int(row["form_soap_id"]),
        int(row["forms_id"]),
        already=True,
    )


def _write(conn: Connection, item: FormInput) -> Placement:
    found = _existing(conn, item)
    if found is not None:
        return found
    where = {"pid": item.pid, "enc": item.encounter}
    if not conn.execute(
        text("SELECT 1 FROM form_encounter WHERE pid = :pid AND encounter = :enc"), where
    ).first():
        raise WriteBackRefused("the OpenEMR encounter does not exist (or not for this patient)")
    author = (
        conn.execute(
            text("SELECT username, authorized FROM users WHERE id = :id AND active = 1"),
            {"id": item.openemr_user_id},
        )
        .mappings()
        .first()
    )
    if author is None or not author["username"]:
        raise WriteBackRefused("the signing clinician's OpenEMR account is missing or inactive")
    soap_id = _generate_id(conn)
    f = item.form
    conn.execute(
        text(
            "INSERT INTO form_soap (id, date, pid, user, groupname, authorized, activity, "
            "subjective, objective, assessment, plan) VALUES "
            "(:id, NOW(), :pid, :user, 'Default', :auth, 1, :s, :o, :a, :p)"
        ),
        {
            "id": soap_id,
            "pid": item.pid,
            "user": author["username"],
            "auth": int(author["authorized"] or 0),
            "s": f.subjective,
            "o": f.objective,
            "a": f.assessment,
            "p": f.plan,
        },
    )
    forms_id = conn.execute(
        text(
            "INSERT INTO forms (date, encounter, form_name, form_id, pid, user, groupname, "
            "authorized, formdir) VALUES "
            "(NOW(), :enc, 'SOAP', :form_id, :pid, :user, 'Default', :auth, 'soap')"
        ),
        {
            **where,
            "form_id": soap_id,
            "user": author["username"],
            "auth": int(author["authorized"] or 0),
        },
    ).lastrowid
    conn.execute(
        text(
            "UPDATE clinscribe_writeback SET superseded_by_version = :v "
            "WHERE note_id = :n AND note_version < :v AND superseded_by_version IS NULL"
        ),
        {"n": item.note_id, "v": item.version},
    )
    conn.execute(
        text(
            "INSERT INTO clinscribe_writeback (note_id, note_version, pid, encounter, "
            "form_soap_id, forms_id) VALUES (:n, :v, :pid, :enc, :soap, :forms)"
        ),
        {"n": item.note_id, "v": item.version, **where, "soap": soap_id, "forms": forms_id},
    )
    return Placement(item.note_id, item.version, item.pid, item.encounter, soap_id, int(forms_id))


def write(url: str, item: FormInput) -> Placement:
    """Write one note version (or find it written); all or nothing in one OpenEMR transaction."""
    ensure_ledger(url)
    try:
        with connect(url) as conn:
            return _write(conn, item)
    except OpenEmrUnavailable as exc:
        # A concurrent writer of the same version won the unique key: it is written once.
        if isinstance(exc.__cause__, IntegrityError):
            with connect(url) as conn:
                found = _existing(conn, item)
            if found is not None:
                return found
        raise


def tenant_url(session: Session, settings: Settings, tenant_id: str) -> str:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise WriteBackRefused("the tenant no longer exists")
    return service.database_url(settings=settings, tenant=tenant)
