"""Steps the write-back tests share: a linked tenant, notes signed through the API, what landed."""

from __future__ import annotations

import dataclasses
from typing import Any

import pymysql
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Encounter, Job, Note, NoteVersion, Patient, User
from clinscribe.db.session import session_scope
from clinscribe.openemr import writeback
from tests.integration.openemr.conftest import PASSWORDS, raw
from tests.support import TenantWorld, add_note

# A dictated visit with vitals (metric, to check the conversion), a drug allergy, a medication
# the patient takes and an assessed problem.
VISIT = (
    "[doctor] Your blood pressure is 142/88, pulse 78, temperature 38.5 C, respiratory rate 16, "
    "oxygen saturation 97 percent, weight 80 kg.\n"
    "[doctor] Any allergies to medications?\n"
    "[patient] Yes, I am allergic to penicillin.\n"
    "[doctor] What medications do you take?\n"
    "[patient] I take lisinopril 10 mg daily.\n"
    "[doctor] You have hypertension. We will continue lisinopril."
)


def linked_world(
    client: TestClient,
    settings: Settings,
    world: TenantWorld,
    url: str,
    **connection: Any,
) -> tuple[TenantWorld, str]:
    """Tenant connected with write-back, synced, and the OpenEMR physician owning encounter 2."""
    body = {"database_url": url, "write_back": "soap", "facility_id": 3, **connection}
    r = client.put("/api/v1/tenant/openemr", json=body, headers=world.auth("admin"))
    assert r.status_code == 200, r.text
    assert client.post("/api/v1/openemr/sync", headers=world.auth("admin")).status_code == 200
    login = client.post(
        "/api/v1/auth/openemr/login",
        json={"tenant_id": world.id, "username": "physician", "password": PASSWORDS["physician"]},
    ).json()
    with session_scope(settings.resolved_database_url) as session:
        physician = session.scalars(select(User).where(User.openemr_user_id == 2)).one()
        encounter = session.scalars(select(Encounter).where(Encounter.openemr_encounter == 2)).one()
        encounter.clinician_id = physician.id
        ids = (physician.id, encounter.id)
    linked = dataclasses.replace(
        world,
        users={**world.users, "clinician": ids[0]},
        tokens={**world.tokens, "clinician": login["access_token"]},
    )
    return linked, ids[1]


def new_encounter(client: TestClient, settings: Settings, world: TenantWorld, pid: int) -> str:
    """An encounter begun in Clinscribe for the patient synced from OpenEMR pid `pid`."""
    with session_scope(settings.resolved_database_url) as session:
        patient = session.scalars(select(Patient).where(Patient.openemr_pid == pid)).one()
        patient_id = patient.id
    r = client.post(
        "/api/v1/encounters",
        json={"patient_id": patient_id, "reason": "Follow-up", "status": "in-progress"},
        headers=world.auth("clinician"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def jobs(settings: Settings) -> list[Job]:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.scalars(
            select(Job).where(Job.kind == writeback.KIND).order_by(Job.created_at)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def query(url: str, sql: str, args: tuple[object, ...] = ()) -> list[dict[str, Any]]:
    conn = raw(url)
    try:
        with conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def soap_forms(url: str) -> list[dict[str, Any]]:
    return query(
        url,
        "SELECT f.id, f.encounter, f.pid, f.user, f.form_id, f.formdir, s.assessment, "
        "s.plan, s.subjective FROM forms f JOIN form_soap s ON s.id = f.form_id "
        "WHERE f.formdir = 'soap' AND f.deleted = 0 ORDER BY f.id",
    )


def sign(client: TestClient, world: TenantWorld, note_id: str) -> None:
    client.post(f"/api/v1/notes/{note_id}/submit", headers=world.auth("clinician"))
    client.post(f"/api/v1/notes/{note_id}/approve", headers=world.auth("reviewer"))
    r = client.post(f"/api/v1/notes/{note_id}/sign", headers=world.auth("clinician"))
    assert r.status_code == 200, r.text


def soap_note(
    client: TestClient,
    settings: Settings,
    world: TenantWorld,
    encounter_id: str,
    sections: dict[str, str] | None = None,
) -> str:
    """A drafted note given an assessment and plan (or `sections`), approved and signed."""
    note_id, _ = add_note(settings, world, encounter_id, "draft")
    body = sections or {"assessment": "Acute bronchitis.", "plan": "Fluids and rest."}
    edit = client.patch(
        f"/api/v1/notes/{note_id}", json={"sections": body}, headers=world.auth("clinician")
    )
    assert edit.status_code == 200, edit.text
    sign(client, world, note_id)
    return note_id


def dictated_note(
    settings: Settings, world: TenantWorld, encounter_id: str, text: str = VISIT
) -> str:
    """A SOAP draft of `text` (its extraction stored first, as the pipeline does)."""
    from clinscribe.db.models import Transcript
    from clinscribe.nlp import core as nlp
    from clinscribe.nlp import service as extractions
    from clinscribe.notes import service as drafting
    from clinscribe.recordings import service as recordings

    clinician = world.principal("clinician")
    with session_scope(settings.resolved_database_url) as session:
        _, transcript_id = recordings.from_text(
            session=session,
            settings=settings,
            principal=clinician,
            encounter_id=encounter_id,
            text=text,
            mode=None,
        )
        transcript = session.get(Transcript, transcript_id)
        assert transcript is not None
        extractions.store(
            session=session,
            transcript=transcript,
            extraction=nlp.extract(extractions.transcript_text(transcript)),
        )
    with session_scope(settings.resolved_database_url) as session:
        note = drafting.draft_for_encounter(
            session=session,
            principal=clinician,
            encounter_id=encounter_id,
            template_key="soap",
            transcript_id=transcript_id,
        )
        return note.id


def signed_copies(settings: Settings, note_id: str, n: int) -> list[str]:
    """`n` more signed notes on the same encounter, each its own note with its signed version.

    Drafting 100 notes through the NLP pipeline would take minutes; the rows are what the
    write-back reads, so they are copied from one note signed through the API.
    """
    ids = []
    with session_scope(settings.resolved_database_url) as session:
        note = session.get(Note, note_id)
        assert note is not None and note.signed_version is not None
        version = session.scalars(
            select(NoteVersion).where(
                NoteVersion.note_id == note_id, NoteVersion.version == note.signed_version
            )
        ).one()
        for _ in range(n):
            copy = Note(
                tenant_id=note.tenant_id,
                encounter_id=note.encounter_id,
                template_key=note.template_key,
                status=note.status,
                current_version=note.current_version,
                created_by=note.created_by,
                submitted_by=note.submitted_by,
                approved_by=note.approved_by,
                signed_by=note.signed_by,
                signed_at=note.signed_at,
                signed_sha256=note.signed_sha256,
                signed_version=note.signed_version,
            )
            session.add(copy)
            session.flush()
            session.add(
                NoteVersion(
                    note_id=copy.id,
                    version=version.version,
                    author_id=version.author_id,
                    content_json=version.content_json,
                    text=version.text,
                )
            )
            writeback.queue(session=session, settings=settings, note=copy)
            ids.append(copy.id)
    return ids
