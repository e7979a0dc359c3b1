"""The mapping's input from a stored note version: typed content, the signed text and hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Note, NoteVersion
from clinscribe.db.session import session_scope
from clinscribe.fhir import service as delivery
from clinscribe.fhir.core import Clinician, Identifier, MappingError, SignedNote, build_bundle
from clinscribe.notes.core import NoteContent, render_text, text_sha256
from tests.support import TenantWorld, add_note
from tests.unit.fhir.conftest import ENCOUNTER_SYSTEM, PATIENT_SYSTEM

CONTENT = {
    "template": "soap",
    "sections": [
        {"key": "subjective", "title": "Subjective", "text": "Cough for 3 days."},
        {"key": "objective", "title": "Objective", "text": "BP 128/82.", "edited": True},
        {"key": "assessment", "title": "Assessment", "text": ""},
        {"key": "plan", "title": "Plan", "text": "Benzonatate 100 mg TID.\n"},
    ],
    "entities": [
        {
            "text": "benzonatate",
            "category": "MEDICATION",
            "type": "GENERIC_NAME",
            "begin": 10,
            "end": 21,
            "score": 0.9,
            "attributes": {"dosage": "100 mg", "frequency": "three times a day"},
            "codes": [
                {"system": "https://go.drugbank.com/drugs", "code": "DB00868", "display": "B"}
            ],
        },
        {
            "text": "acute bronchitis",
            "category": "MEDICAL_CONDITION",
            "type": "DX_NAME",
            "begin": 30,
            "end": 46,
            "score": 0.95,
            "traits": ["DIAGNOSIS"],
            "codes": [
                {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "J20.9", "display": "AB"}
            ],
        },
    ],
    "vitals": [
        {
            "type": "blood_pressure",
            "systolic": 128,
            "diastolic": 82,
            "unit": "mmHg",
            "begin": 0,
            "end": 9,
        },
        {"type": "temperature", "value": 37.2, "unit": "Cel", "begin": 12, "end": 20},
    ],
}


def signed_from(**parts: object) -> SignedNote:
    return SignedNote.model_validate(
        {
            "note_id": "note-typed",
            "version": 1,
            "template": "soap",
            "patient": Identifier(system=PATIENT_SYSTEM, value="MRN-1001"),
            "encounter": Identifier(system=ENCOUNTER_SYSTEM, value="ENC-1"),
            "author": Clinician(id="clin-7", name="Dr Ada Lovelace"),
            "signed_at": datetime(2026, 11, 23, 15, 30, tzinfo=UTC),
            **parts,
        }
    )


def test_typed_note_content_maps_as_its_contract_json_does() -> None:
    content = NoteContent.model_validate(CONTENT)
    text = render_text(content.sections)
    typed = signed_from(
        sections=content.sections,
        text=text,
        entities=content.entities,
        vitals=content.vitals,
        content_sha256=text_sha256(content.sections),
    )
    stored = json.loads(content.to_json())
    as_json = signed_from(
        sections=stored["sections"],
        text=text,
        entities=stored["entities"],
        vitals=stored["vitals"],
        content_sha256=text_sha256(content.sections),
    )
    assert typed == as_json
    assert build_bundle(typed) == build_bundle(as_json)
    kinds = [e["resource"]["resourceType"] for e in build_bundle(typed)["entry"]]
    assert "MedicationStatement" in kinds and "Condition" in kinds and "Observation" in kinds


@pytest.fixture
def signed_note_id(settings: Settings, tenant_a: TenantWorld) -> str:
    note_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id, "signed")
    return note_id


def test_the_mapping_input_is_the_text_of_the_signed_content_with_its_own_hash(
    settings: Settings, signed_note_id: str
) -> None:
    with session_scope(settings.resolved_database_url) as session:
        note = session.get(Note, signed_note_id)
        assert note is not None and note.signed_version is not None
        mapped = delivery.signed_note(session, note, None, note.signed_version)
        row = session.execute(
            select(NoteVersion).where(
                NoteVersion.note_id == note.id, NoteVersion.version == note.signed_version
            )
        ).scalar_one()
        content = NoteContent.from_json(row.content_json)
        assert mapped.text == render_text(content.sections) == row.text
        assert note.signed_sha256 == hashlib.sha256(row.content_json.encode()).hexdigest()
        assert mapped.content_sha256 == text_sha256(content.sections)
        assert [(s.key, s.title, s.text) for s in mapped.sections] == [
            (s.key, s.title, s.text) for s in content.sections
        ]
        assert [e.text for e in mapped.entities] == [e.text for e in content.entities]
        build_bundle(mapped)  # the text matches its signature


def test_a_version_changed_after_signing_cannot_be_built_for_delivery(
    settings: Settings, signed_note_id: str
) -> None:
    with session_scope(settings.resolved_database_url) as session:
        note = session.get(Note, signed_note_id)
        assert note is not None and note.signed_version is not None
        row = session.execute(
            select(NoteVersion).where(
                NoteVersion.note_id == note.id, NoteVersion.version == note.signed_version
            )
        ).scalar_one()
        content = NoteContent.from_json(row.content_json)
        content.sections[0].text += " Denies chest pain."
        row.content_json = content.to_json()
        session.flush()
        # What the deliver task and GET /notes/{id}/fhir do: a permanent mapping failure.
        with pytest.raises(MappingError, match="does not match its signed hash"):
            delivery.signed_note(session, note, None, note.signed_version)
