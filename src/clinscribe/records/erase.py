"""Erasing an encounter or a patient with everything hanging off it: the one cascade.

`DELETE /encounters/{id}`, `DELETE /patients/{id}` and the retention purge all come through
`_cascade`, which removes, children first, the job rows, deliveries, note versions, notes,
extractions, transcripts, recordings and live-session records of the encounters, then the
encounters. Erasing a patient also removes their documents with the pages, lab results and
facts read from them, and their ECG waveforms (and the files after commit). Nothing relies
on the database's `ON DELETE CASCADE` (job rows point at their subjects by id only, so they
would outlive it anyway). Audio files are removed only once the
transaction commits: a rolled-back erase keeps its files.

Callers with a principal are authorized here; the purge is the system's own path and takes
no principal: its audit rows say `actor_type="system"`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinscribe.audit import service as audit
from clinscribe.db.models import (
    Delivery,
    Document,
    DocumentFact,
    DocumentPage,
    Encounter,
    ExtractionRecord,
    ImagingInstance,
    ImagingSeries,
    ImagingStudy,
    Job,
    LabObservation,
    Note,
    NoteStudy,
    NoteVersion,
    Patient,
    Recording,
    StreamSession,
    Transcript,
    Waveform,
)
from clinscribe.db.session import after_commit
from clinscribe.records import encounters, patients
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by
from clinscribe.storage.blobs import BlobStore

BATCH = 200  # ids per IN (...) list: well under every backend's bind-parameter limit


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


def _ids(
    session: Session,
    tenant_id: str,
    model: type[Encounter | Transcript | Note | Delivery | Job],
    column: InstrumentedAttribute[str],
    values: Sequence[str],
) -> list[str]:
    """Ids of `model` rows of `tenant_id` whose `column` is one of `values`."""
    statement = owned_by(model, tenant_id).where(column.in_(values)).with_only_columns(model.id)
    return list(session.execute(statement).scalars())


def _cascade_batch(session: Session, tenant_id: str, encounter_ids: list[str]) -> list[str]:
    """Delete the rows under these encounters (of `tenant_id`) and them; the blob keys freed."""
    recordings = session.execute(
        owned_by(Recording, tenant_id)
        .where(Recording.encounter_id.in_(encounter_ids))
        .with_only_columns(Recording.id, Recording.blob_key)
    ).all()
    recording_ids = [r.id for r in recordings]
    transcript_ids = _ids(session, tenant_id, Transcript, Transcript.encounter_id, encounter_ids)
    note_ids = _ids(session, tenant_id, Note, Note.encounter_id, encounter_ids)
    delivery_ids = _ids(session, tenant_id, Delivery, Delivery.note_id, note_ids)
    subjects = [*recording_ids, *transcript_ids, *delivery_ids]
    job_ids = _ids(session, tenant_id, Job, Job.subject_id, subjects)
    for statement in (
        delete(Job).where(Job.id.in_(job_ids)),
        delete(Delivery).where(Delivery.id.in_(delivery_ids)),
        delete(NoteVersion).where(NoteVersion.note_id.in_(note_ids)),
        delete(Note).where(Note.id.in_(note_ids)),
        delete(ExtractionRecord).where(ExtractionRecord.transcript_id.in_(transcript_ids)),
        delete(Transcript).where(Transcript.id.in_(transcript_ids)),
        delete(Recording).where(Recording.id.in_(recording_ids)),
        delete(StreamSession).where(StreamSession.encounter_id.in_(encounter_ids)),
        delete(Encounter).where(Encounter.id.in_(encounter_ids)),
    ):
        session.execute(statement)
    return [r.blob_key for r in recordings if r.blob_key]


def _cascade(
    session: Session, blobs: BlobStore, tenant_id: str, encounter_ids: Sequence[str]
) -> None:
    """Erase these encounters of `tenant_id` (ids of other tenants are left alone)."""
    keys: list[str] = []
    for batch in _batches(encounter_ids):
        owned = _ids(session, tenant_id, Encounter, Encounter.id, batch)
        if owned:
            keys += _cascade_batch(session, tenant_id, owned)
    session.flush()

    # The rows go with the transaction; the files only once it has committed.
    def remove() -> None:
        for key in keys:
            blobs.delete(key)

    if keys:
        after_commit(session, remove)


def erase_encounter(
    *, session: Session, principal: Principal, blobs: BlobStore, encounter_id: str
) -> None:
    """Delete an encounter the caller may see, with everything captured in it (admins)."""
    principal.require("encounters:delete")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    _cascade(session, blobs, principal.tenant_id, [encounter_id])
    audit.record(
        session,
        action="encounter.delete",
        principal=principal,
        object_type="encounter",
        object_id=encounter_id,
    )


def _erase_documents(session: Session, blobs: BlobStore, tenant_id: str, patient_id: str) -> None:
    """A patient's documents, what was read from them, their jobs, and (after commit) files."""
    docs = owned_by(Document, tenant_id).where(Document.patient_id == patient_id)
    rows = session.execute(docs.with_only_columns(Document.id, Document.blob_key)).all()
    ids = [doc_id for doc_id, _ in rows]
    keys = [key for _, key in rows if key]
    for batch in _batches(ids):
        pages = owned_by(DocumentPage, tenant_id).where(DocumentPage.document_id.in_(batch))
        keys += [
            k
            for k in session.execute(pages.with_only_columns(DocumentPage.image_blob_key)).scalars()
            if k
        ]
        for model in (DocumentFact, LabObservation, DocumentPage):
            session.execute(delete(model).where(model.document_id.in_(batch)))
        session.execute(
            delete(Job).where(Job.subject_type == "document", Job.subject_id.in_(batch))
        )
        session.execute(delete(Document).where(Document.id.in_(batch)))

    def remove() -> None:
        for key in keys:
            blobs.delete(key)

    if keys:
        after_commit(session, remove)


def _erase_waveforms(session: Session, blobs: BlobStore, tenant_id: str, patient_id: str) -> None:
    """A patient's ECG waveforms and (after commit) their signal and strip blobs."""
    stmt = owned_by(Waveform, tenant_id).where(Waveform.patient_id == patient_id)
    rows = session.execute(
        stmt.with_only_columns(Waveform.id, Waveform.signal_key, Waveform.svg_key, Waveform.png_key)
    ).all()
    keys = [key for _, *row_keys in rows for key in row_keys]
    for batch in _batches([waveform_id for waveform_id, *_ in rows]):
        session.execute(delete(Waveform).where(Waveform.id.in_(batch)))

    def remove() -> None:
        for key in keys:
            blobs.delete(key)

    if keys:
        after_commit(session, remove)


def _erase_imaging(session: Session, blobs: BlobStore, tenant_id: str, patient_id: str) -> None:
    """A patient's imaging studies (series, instances and note links cascade) and their files."""
    studies = owned_by(ImagingStudy, tenant_id).where(ImagingStudy.patient_id == patient_id)
    ids = list(session.execute(studies.with_only_columns(ImagingStudy.id)).scalars())
    keys: set[str] = set()
    for batch in _batches(ids):
        keys.update(
            session.execute(
                select(ImagingInstance.blob_key).where(ImagingInstance.study_id.in_(batch))
            ).scalars()
        )
        for model in (NoteStudy, ImagingInstance, ImagingSeries):
            session.execute(delete(model).where(model.study_id.in_(batch)))
        session.execute(delete(ImagingStudy).where(ImagingStudy.id.in_(batch)))

    def remove() -> None:
        for key in keys:
            blobs.delete(key)

    if keys:
        after_commit(session, remove)


def erase_patient(
    *, session: Session, principal: Principal, blobs: BlobStore, patient_id: str
) -> None:
    """Delete a patient with all their encounters and everything in them (admins)."""
    principal.require("patients:delete")
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    encounter_ids = _ids(
        session, principal.tenant_id, Encounter, Encounter.patient_id, [patient_id]
    )
    _cascade(session, blobs, principal.tenant_id, encounter_ids)
    _erase_documents(session, blobs, principal.tenant_id, patient_id)
    _erase_waveforms(session, blobs, principal.tenant_id, patient_id)
    _erase_imaging(session, blobs, principal.tenant_id, patient_id)
    session.execute(delete(Patient).where(Patient.id == patient_id))
    audit.record(
        session,
        action="patient.delete",
        principal=principal,
        object_type="patient",
        object_id=patient_id,
    )


def purge_encounters(
    *,
    session: Session,
    blobs: BlobStore,
    tenant_id: str,
    encounter_ids: Sequence[str],
    actor_id: str,
) -> None:
    """The system's erase (retention): no caller, so no principal and no permission check.

    Each encounter is audited as `encounter.purge` by `actor_type="system"`, `actor_id`.
    """
    _cascade(session, blobs, tenant_id, encounter_ids)
    for encounter_id in encounter_ids:
        audit.record(
            session,
            action="encounter.purge",
            tenant_id=tenant_id,
            actor_type="system",
            actor_id=actor_id,
            object_type="encounter",
            object_id=encounter_id,
        )
