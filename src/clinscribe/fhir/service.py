"""Delivery to the EHR: endpoint settings, signed-note bundles, the outbox and dead letters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.clinical import handover
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import (
    Delivery,
    EhrEndpoint,
    Encounter,
    Job,
    Note,
    NoteVersion,
    Patient,
    Recording,
    Transcript,
    User,
)
from clinscribe.errors import Conflict, NotFound, Unprocessable
from clinscribe.fhir import core as fhir
from clinscribe.fhir import note_studies
from clinscribe.fhir.destination import EhrClientProvider
from clinscribe.fhir.schemas import EndpointIn
from clinscribe.jobs import queue as workqueue
from clinscribe.notes import core as notes
from clinscribe.review import service as review
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, owned_by, readable
from clinscribe.storage.blobs import BlobStore


def configure_endpoint(
    *, session: Session, settings: Settings, principal: Principal, data: EndpointIn
) -> EhrEndpoint:
    """Set the tenant's EHR endpoint (admins). URLs are checked against SSRF rules now too."""
    principal.require("tenant:write")
    if data.allow_loopback and settings.profile == "prod":
        raise Unprocessable("loopback EHR endpoints are refused in prod")
    destinations = EhrClientProvider(settings)
    config = destinations.endpoint_config(
        base_url=str(data.base_url), auth=data.auth, allow_loopback=data.allow_loopback
    )
    # A refused URL propagates with its own code (unsafe_url, url_resolution_error).
    fhir.validate_outbound_url(config.base_url, config.url_policy)
    row = session.execute(readable(EhrEndpoint, principal)).scalar_one_or_none()
    if row is None:
        row = EhrEndpoint(tenant_id=principal.tenant_id)
        session.add(row)
    row.base_url = str(data.base_url).rstrip("/")
    row.auth_type = data.auth.kind
    row.auth_encrypted = destinations.seal_auth(data.auth, principal.tenant_id)
    row.patient_system = data.patient_system
    row.encounter_system = data.encounter_system
    row.allow_loopback = data.allow_loopback
    session.flush()
    audit.record(
        session,
        action="ehr_endpoint.update",
        principal=principal,
        object_type="ehr_endpoint",
        object_id=row.id,
    )
    return row


def get_endpoint(*, session: Session, tenant_id: str) -> EhrEndpoint | None:
    """The tenant's endpoint, for the delivery path (which acts for the tenant, not a caller)."""
    return session.execute(owned_by(EhrEndpoint, tenant_id)).scalar_one_or_none()


def endpoint_settings(*, session: Session, principal: Principal) -> EhrEndpoint:
    """The caller's tenant endpoint settings (admins), or NotFound when none is configured."""
    principal.require("tenant:write")
    row = session.execute(readable(EhrEndpoint, principal)).scalar_one_or_none()
    if row is None:
        raise NotFound("no EHR endpoint configured")
    return row


def _clinician(session: Session, user_id: str | None) -> fhir.Clinician:
    user = session.get(User, user_id) if user_id else None
    if user is None:
        return fhir.Clinician(id=user_id or "unknown", name="Unknown clinician")
    return fhir.Clinician(id=user.id, name=user.full_name or user.email)


def signed_note(
    session: Session, note: Note, endpoint: EhrEndpoint | None, version: int
) -> fhir.SignedNote:
    """The FHIR mapping's input for one signed version of a note.

    The text is rendered from the stored sections by `notes.render_text` and carries the hash
    recorded at signing, so `build_bundle` refuses a version changed since it was signed.
    """
    row = session.execute(
        select(NoteVersion).where(NoteVersion.note_id == note.id, NoteVersion.version == version)
    ).scalar_one()
    content = review.content_of(row)
    encounter = session.get(Encounter, note.encounter_id)
    patient = session.get(Patient, encounter.patient_id) if encounter else None
    if encounter is None or patient is None or note.signed_at is None:
        raise Conflict("only a signed note of an existing encounter can be mapped to FHIR")
    transcript = session.get(Transcript, note.transcript_id) if note.transcript_id else None
    recording = session.get(Recording, transcript.recording_id) if transcript else None
    text = notes.render_text(content.sections)
    # A version whose signature an amendment's has replaced has no hash on record: it is
    # mapped as it reads now, as it was before signatures were checked here.
    if review.signature_holds(note=note, version=row) is False:
        raise fhir.MappingError("the note's content does not match its signed hash")
    replaces = (
        fhir.document_identifier(note.id, note.replaces_version)
        if note.replaces_version and note.replaces_version < version
        else None
    )
    return fhir.SignedNote(
        note_id=note.id,
        version=version,
        template=note.template_key,
        status="amended" if replaces else "final",
        sections=content.sections,
        text=text,
        entities=content.entities,
        vitals=content.vitals,
        patient=fhir.Identifier(
            system=endpoint.patient_system if endpoint else f"urn:clinscribe:{note.tenant_id}:mrn",
            value=patient.mrn,
        ),
        encounter=fhir.Identifier(
            system=endpoint.encounter_system if endpoint else "urn:clinscribe:encounter",
            value=encounter.id,
        ),
        author=_clinician(session, encounter.clinician_id),
        authenticator=_clinician(session, note.signed_by),
        signed_at=note.signed_at,
        effective_at=encounter.started_at,
        content_sha256=notes.text_sha256(content.sections),
        recording_id=recording.id if recording else None,
        transcript_id=transcript.id if transcript else None,
        replaces=replaces,
    )


def bundle_for_note(
    *, session: Session, principal: Principal, note_id: str, blobs: BlobStore
) -> dict[str, Any]:
    """The transaction Bundle of the note's signed version (GET /notes/{id}/fhir)."""
    note = review.get(session=session, principal=principal, note_id=note_id)
    if note.signed_version is None:
        raise Conflict("the note is not signed yet")
    endpoint = get_endpoint(session=session, tenant_id=note.tenant_id)
    bundle = fhir.build_bundle(signed_note(session, note, endpoint, note.signed_version))
    note_studies.add_studies(session, note, note.signed_version, bundle, blobs)
    fhir.validate_bundle(bundle)
    return bundle


def queue(
    *, session: Session, settings: Settings, principal: Principal, note: Note
) -> Delivery | None:
    """Write the outbox row and its job (sent after commit) for the note's signed version."""
    if note.signed_version is None:
        raise Conflict("only a signed note can be delivered")
    if get_endpoint(session=session, tenant_id=note.tenant_id) is None:
        return None
    delivery = session.execute(
        select(Delivery).where(Delivery.note_id == note.id, Delivery.version == note.signed_version)
    ).scalar_one_or_none()
    if delivery is not None and delivery.status == "delivered":
        return delivery
    if delivery is None:
        delivery = Delivery(tenant_id=note.tenant_id, note_id=note.id, version=note.signed_version)
        session.add(delivery)
        session.flush()
    delivery.status = "pending"
    workqueue.create(
        session=session,
        tenant_id=note.tenant_id,
        kind="deliver",
        subject_type="delivery",
        subject_id=delivery.id,
        max_attempts=settings.delivery_max_attempts,
    )
    audit.record(
        session, action="delivery.queue", principal=principal, object_type="note", object_id=note.id
    )
    return delivery


def sign_and_queue(
    *, session: Session, settings: Settings, principal: Principal, note_id: str
) -> Note:
    """Sign, and in the same transaction write the outbox row: signed means on its way.

    The facts the signed version keeps and its plan items are proposed for the patient's record
    in the same transaction (`proposed`: a clinician accepts or rejects each).
    """
    note = review.sign(session=session, principal=principal, note_id=note_id)
    queue(session=session, settings=settings, principal=principal, note=note)
    handover.propose_from_note(session=session, principal=principal, note=note)
    return note


def deliver_now(
    *, session: Session, settings: Settings, principal: Principal, note_id: str
) -> Delivery:
    """(Re)send the signed version — after an endpoint was configured, or a dead letter."""
    principal.require("notes:deliver")
    principal.require("notes:read")
    note = review.get(session=session, principal=principal, note_id=note_id, audit_read=False)
    if principal.role not in ("clinician", "reviewer", "admin") and principal.kind != "api_key":
        raise NotFound("note not found")
    delivery = queue(session=session, settings=settings, principal=principal, note=note)
    if delivery is None:
        raise Conflict("the tenant has no EHR endpoint configured")
    return delivery


def deliver_for_transcript(
    *, session: Session, settings: Settings, principal: Principal, transcript_id: str
) -> Delivery:
    """(Re)send the signed note drafted from this transcript (the transcription shortcut)."""
    principal.require("notes:deliver")
    note = review.latest_for_transcript(
        session=session, principal=principal, transcript_id=transcript_id
    )
    if note is None:
        raise NotFound("no note drafted from this transcription")
    return deliver_now(session=session, settings=settings, principal=principal, note_id=note.id)


def deliveries_for(*, session: Session, principal: Principal, note_id: str) -> Sequence[Delivery]:
    note = review.get(session=session, principal=principal, note_id=note_id, audit_read=False)
    return (
        session.execute(
            select(Delivery).where(Delivery.note_id == note.id).order_by(Delivery.version)
        )
        .scalars()
        .all()
    )


def dead_letters(
    *, session: Session, principal: Principal | None, limit: int = 100
) -> list[dict[str, Any]]:
    """Jobs that gave up, newest first (a tenant's own, or all for the operator CLI)."""
    if principal is not None:
        principal.require("audit:read")
    stmt = (
        (select(Job) if principal is None else readable(Job, principal))
        .where(Job.status == "dead")
        .order_by(Job.finished_at.desc())
        .limit(limit)
    )
    out = []
    for job in session.execute(stmt).scalars():
        delivery = session.get(Delivery, job.subject_id) if job.subject_type == "delivery" else None
        out.append(
            {
                "job_id": job.id,
                "kind": job.kind,
                "subject_type": job.subject_type,
                "subject_id": job.subject_id,
                "attempts": job.attempts,
                "last_error": job.last_error,
                "finished_at": job.finished_at,
                "delivery": None
                if delivery is None
                else {
                    "note_id": delivery.note_id,
                    "version": delivery.version,
                    "status_code": delivery.last_status_code,
                    "operation_outcome": json.loads(delivery.operation_outcome_json)
                    if delivery.operation_outcome_json
                    else None,
                },
            }
        )
    return out


def replay(*, session: Session, principal: Principal | None, job_id: str) -> Job:
    """Give a dead job a fresh set of attempts; it is sent again after commit."""
    if principal is None:  # the operator's CLI: any tenant's
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound("dead letter not found")
    else:
        principal.require("audit:read")
        job = get_readable(session, Job, job_id, principal, what="dead letter")
    if job.status != "dead":
        raise Conflict(f"job is {job.status}, not dead")
    job.status = "queued"
    job.attempts = 0
    job.finished_at = None
    session.info.setdefault(workqueue.PENDING_KEY, []).append((job.kind, job.id))
    if job.subject_type == "delivery":
        delivery = session.get(Delivery, job.subject_id)
        if delivery is not None:
            delivery.status = "pending"
    audit.record(
        session,
        action="dead_letter.replay",
        principal=principal,
        tenant_id=job.tenant_id,
        actor_type=None if principal else "operator",
        object_type="job",
        object_id=job.id,
    )
    return job


def record_attempt(*, session: Session, delivery: Delivery, result: fhir.DeliveryResult) -> None:
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.last_error = result.reason
    if result.operation_outcome is not None:
        delivery.operation_outcome_json = json.dumps(result.operation_outcome)
    if result.delivered:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
        delivery.locations_json = json.dumps(list(result.locations))


def latest_status(*, session: Session, note: Note) -> str | None:
    """Delivery state of the newest delivered-or-queued version, for display on the note."""
    return session.execute(
        select(Delivery.status)
        .where(Delivery.note_id == note.id)
        .order_by(Delivery.version.desc())
        .limit(1)
    ).scalar_one_or_none()
