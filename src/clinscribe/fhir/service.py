"""Delivery to the EHR: endpoint settings, signed-note bundles, the outbox and dead letters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Delivery, EhrEndpoint, Encounter, Job, Note, Patient, User
from clinscribe.errors import Conflict, NotFound, Unprocessable
from clinscribe.fhir import core as fhir
from clinscribe.fhir.schemas import AuthIn, EndpointIn
from clinscribe.jobs import queue as workqueue
from clinscribe.review import service as review
from clinscribe.security.associated import endpoint_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.principal import Principal

_AUTH: TypeAdapter[Any] = TypeAdapter(AuthIn)


def configure_endpoint(
    *, session: Session, settings: Settings, principal: Principal, data: EndpointIn
) -> EhrEndpoint:
    """Set the tenant's EHR endpoint (admins). URLs are checked against SSRF rules now too."""
    principal.require("tenant:write")
    if data.allow_loopback and settings.profile == "prod":
        raise Unprocessable("loopback EHR endpoints are refused in prod")
    config = _endpoint_config(settings, str(data.base_url), data.auth, data.allow_loopback)
    # A refused URL propagates with its own code (unsafe_url, url_resolution_error).
    fhir.validate_outbound_url(config.base_url, config.url_policy)
    row = session.execute(
        select(EhrEndpoint).where(EhrEndpoint.tenant_id == principal.tenant_id)
    ).scalar_one_or_none()
    if row is None:
        row = EhrEndpoint(tenant_id=principal.tenant_id)
        session.add(row)
    row.base_url = str(data.base_url).rstrip("/")
    row.auth_type = data.auth.kind
    row.auth_encrypted = key_ring(settings).encrypt(
        data.auth.model_dump_json().encode(), endpoint_aad(principal.tenant_id)
    )
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
    return session.execute(
        select(EhrEndpoint).where(EhrEndpoint.tenant_id == tenant_id)
    ).scalar_one_or_none()


def _endpoint_config(
    settings: Settings, base_url: str, auth: Any, allow_loopback: bool
) -> fhir.EndpointConfig:
    return fhir.EndpointConfig(
        base_url=base_url,
        auth=auth,
        timeout=settings.delivery_timeout,
        prod=settings.profile == "prod",
        allow_loopback=allow_loopback and settings.profile != "prod",
    )


def client_config(*, settings: Settings, endpoint: EhrEndpoint) -> fhir.EndpointConfig:
    auth = _AUTH.validate_json(
        key_ring(settings).decrypt(endpoint.auth_encrypted, endpoint_aad(endpoint.tenant_id))
    )
    return _endpoint_config(settings, endpoint.base_url, auth, endpoint.allow_loopback)


def _clinician(session: Session, user_id: str | None) -> fhir.Clinician:
    user = session.get(User, user_id) if user_id else None
    if user is None:
        return fhir.Clinician(id=user_id or "unknown", name="Unknown clinician")
    return fhir.Clinician(id=user.id, name=user.full_name or user.email)


def signed_note(
    session: Session, note: Note, endpoint: EhrEndpoint | None, version: int
) -> fhir.SignedNote:
    """The FHIR mapping's input for one signed version of a note."""
    from clinscribe.db.models import NoteVersion, Recording, Transcript

    row = session.execute(
        select(NoteVersion).where(NoteVersion.note_id == note.id, NoteVersion.version == version)
    ).scalar_one()
    content = json.loads(row.content_json)
    encounter = session.get(Encounter, note.encounter_id)
    patient = session.get(Patient, encounter.patient_id) if encounter else None
    if encounter is None or patient is None or note.signed_at is None:
        raise Conflict("only a signed note of an existing encounter can be mapped to FHIR")
    transcript = session.get(Transcript, note.transcript_id) if note.transcript_id else None
    recording = session.get(Recording, transcript.recording_id) if transcript else None
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
        sections=[
            fhir.Section(key=s["key"], title=s["title"], text=s.get("text", ""))
            for s in content["sections"]
        ],
        text=row.text,
        entities=content.get("entities", []),
        vitals=content.get("vitals", []),
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
        content_sha256=hashlib.sha256(row.text.encode()).hexdigest(),
        recording_id=recording.id if recording else None,
        transcript_id=transcript.id if transcript else None,
        replaces=replaces,
    )


def bundle_for_note(*, session: Session, principal: Principal, note_id: str) -> dict[str, Any]:
    """The transaction Bundle of the note's signed version (GET /notes/{id}/fhir)."""
    note = review.get(session=session, principal=principal, note_id=note_id)
    if note.signed_version is None:
        raise Conflict("the note is not signed yet")
    endpoint = get_endpoint(session=session, tenant_id=note.tenant_id)
    bundle = fhir.build_bundle(signed_note(session, note, endpoint, note.signed_version))
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
    """Sign, and in the same transaction write the outbox row: signed means on its way."""
    note = review.sign(session=session, principal=principal, note_id=note_id)
    queue(session=session, settings=settings, principal=principal, note=note)
    return note


def deliver_now(
    *, session: Session, settings: Settings, principal: Principal, note_id: str
) -> Delivery:
    """(Re)send the signed version — after an endpoint was configured, or a dead letter."""
    principal.require("notes:read")
    note = review.get(session=session, principal=principal, note_id=note_id, audit_read=False)
    if principal.role not in ("clinician", "reviewer", "admin") and principal.kind != "api_key":
        raise NotFound("note not found")
    delivery = queue(session=session, settings=settings, principal=principal, note=note)
    if delivery is None:
        raise Conflict("the tenant has no EHR endpoint configured")
    return delivery


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
    stmt = select(Job).where(Job.status == "dead").order_by(Job.finished_at.desc()).limit(limit)
    if principal is not None:
        principal.require("audit:read")
        stmt = stmt.where(Job.tenant_id == principal.tenant_id)
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
    job = session.get(Job, job_id)
    if job is None or (principal is not None and job.tenant_id != principal.tenant_id):
        raise NotFound("dead letter not found")
    if principal is not None:
        principal.require("audit:read")
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
