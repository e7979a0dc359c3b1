"""Test helpers: a two-tenant world built through the real services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from clinscribe.accounts import auth, service
from clinscribe.accounts.schemas import ApiKeyCreate, UserCreate
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.records import encounters, patients
from clinscribe.records.schemas import EncounterCreate, PatientCreate
from clinscribe.security import crypto
from clinscribe.security.principal import Principal

PASSWORD = "correct-horse-battery"
ROLES = ("clinician", "reviewer", "admin")
SCOPES = ("read", "write", "admin")


def unique(prefix: str = "x") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@dataclass
class TenantWorld:
    id: str
    users: dict[str, str] = field(default_factory=dict)  # role -> user id
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # role or key_<scope> -> credential
    patient_id: str = ""
    encounter_id: str = ""
    last_encounter_id: str = ""

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def principal(self, role: str) -> Principal:
        return Principal(
            kind="user",
            tenant_id=self.id,
            actor_id=self.users[role],
            user_id=self.users[role],
            role=role,
        )


def build_tenant(settings: Settings, name: str | None = None) -> TenantWorld:
    url = settings.resolved_database_url
    with session_scope(url) as session:
        tenant = service.create_tenant(session=session, name=name or unique("tenant-"))
        world = TenantWorld(id=tenant.id)
        for role in ROLES:
            email = f"{unique(role)}@example.org"
            user = service.create_user(
                session=session,
                tenant_id=tenant.id,
                data=UserCreate(email=email, role=role, password=PASSWORD),  # type: ignore[arg-type]
            )
            world.users[role] = user.id
            world.emails[role] = email
            world.tokens[role] = auth.issue_access_token(settings=settings, user=user)
        for scope in SCOPES:
            _, key = service.create_api_key(
                session=session,
                settings=settings,
                tenant_id=tenant.id,
                data=ApiKeyCreate(name=f"key-{scope}", scopes=[scope]),  # type: ignore[list-item]
            )
            world.tokens[f"key_{scope}"] = key
    world.patient_id, world.encounter_id = add_patient_and_encounter(settings, world)
    configure_ehr(settings, world, "http://127.0.0.1:9/fhir")
    return world


def configure_ehr(settings: Settings, world: TenantWorld, base_url: str) -> None:
    """Point the tenant at an EHR (a loopback test server; nothing listens on port 9)."""
    from clinscribe.fhir import service as delivery
    from clinscribe.fhir.schemas import EndpointIn

    with session_scope(settings.resolved_database_url) as session:
        delivery.configure_endpoint(
            session=session,
            settings=settings,
            principal=world.principal("admin"),
            data=EndpointIn.model_validate(
                {
                    "base_url": base_url,
                    "patient_system": "urn:oid:2.16.840.1.113883.3.1",
                    "allow_loopback": True,
                }
            ),
        )


def add_patient_and_encounter(settings: Settings, world: TenantWorld) -> tuple[str, str]:
    """A fresh patient with an encounter owned by the world's clinician."""
    with session_scope(settings.resolved_database_url) as session:
        clinician = world.principal("clinician")
        patient = patients.create(
            session=session,
            principal=clinician,
            data=PatientCreate(mrn=unique("MRN"), given_name="Ada", family_name="Testpatient"),
        )
        encounter = encounters.create(
            session=session,
            principal=clinician,
            data=EncounterCreate(patient_id=patient.id),
        )
        return patient.id, encounter.id


def wav_bytes(seconds: float = 1.0, rate: int = 16_000, channels: int = 1) -> bytes:
    """A short tone as 16-bit PCM WAV, for intake paths that need real audio."""
    import io
    import math
    import struct
    import wave

    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        sample = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)]
        out.writeframes(
            b"".join(struct.pack("<" + "h" * channels, *([s] * channels)) for s in sample)
        )
    return buffer.getvalue()


def add_recording(settings: Settings, world: TenantWorld, encounter_id: str) -> tuple[str, str]:
    """An uploaded recording with its queued transcription job."""
    import io

    from clinscribe.recordings import service as recordings
    from clinscribe.storage.blobs import LocalBlobStore

    with session_scope(settings.resolved_database_url) as session:
        recording, job = recordings.upload(
            session=session,
            settings=settings,
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
            principal=world.principal("clinician"),
            encounter_id=encounter_id,
            data=io.BytesIO(wav_bytes(0.5)),
            filename="tone.wav",
            content_type="audio/wav",
            mode="dictation",
        )
        return recording.id, job.id


def add_text_transcript(settings: Settings, world: TenantWorld, encounter_id: str) -> str:
    """A typed dialogue's transcript, with its extraction already stored."""
    from clinscribe.db.models import Transcript
    from clinscribe.nlp import core as nlp
    from clinscribe.nlp import service as extractions
    from clinscribe.recordings import service as recordings

    with session_scope(settings.resolved_database_url) as session:
        _, transcript_id = recordings.from_text(
            session=session,
            settings=settings,
            principal=world.principal("clinician"),
            encounter_id=encounter_id,
            text="[doctor] Any chest pain?\n[patient] No.",
            mode=None,
        )
        transcript = session.get(Transcript, transcript_id)
        assert transcript is not None
        extractions.store(
            session=session,
            transcript=transcript,
            extraction=nlp.extract(extractions.transcript_text(transcript)),
        )
        return transcript_id


def add_note(
    settings: Settings, world: TenantWorld, encounter_id: str, state: str = "draft"
) -> tuple[str, str]:
    """A note drafted from a typed dialogue and moved to `state`: (note id, transcript id)."""
    from clinscribe.notes import service as drafting
    from clinscribe.review import service as review

    transcript_id = add_text_transcript(settings, world, encounter_id)
    clinician, reviewer = world.principal("clinician"), world.principal("reviewer")
    with session_scope(settings.resolved_database_url) as session:
        note = drafting.draft_for_encounter(
            session=session,
            principal=clinician,
            encounter_id=encounter_id,
            template_key="soap",
            transcript_id=transcript_id,
        )
        steps = ["draft", "in_review", "approved", "signed"]
        for step in steps[1 : steps.index(state) + 1]:
            if step == "in_review":
                review.submit(session=session, principal=clinician, note_id=note.id)
            elif step == "approved":
                review.approve(session=session, principal=reviewer, note_id=note.id)
            else:
                review.sign(session=session, principal=clinician, note_id=note.id)
        return note.id, transcript_id


LAB_TEXT = (
    "SYNTHETIC LABORATORY REPORT\nCollected: 2025-03-04\n"
    "Glucose 7.9 mmol/L (3.9-5.5) H\nSodium 139 mmol/L (135-145)\n"
)


def add_document(
    settings: Settings, world: TenantWorld, patient_id: str, text: str = LAB_TEXT
) -> tuple[str, str]:
    """A plain-text document of the patient with its pages stored (the pure extractor's pages,
    no lab analysis), and the id of its extraction job."""
    import io

    from clinscribe.db.models import Document
    from clinscribe.documents import service as documents
    from clinscribe.documents.core import extract
    from clinscribe.documents.pipeline import Extracted
    from clinscribe.storage.blobs import LocalBlobStore

    with session_scope(settings.resolved_database_url) as session:
        document, job = documents.accept(
            session=session,
            settings=settings,
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
            principal=world.principal("clinician"),
            patient_id=patient_id,
            data=io.BytesIO(text.encode()),
            filename="labs.txt",
        )
        pages = extract.extract_pages(text.encode())
        row = session.get(Document, document.id)
        assert row is not None
        result = Extracted("text/plain", "other", None, pages, [], [])
        documents.store_extraction(session=session, document=row, result=result)
        return document.id, job.id


RECORD_SAMPLES: dict[str, dict[str, object]] = {
    "observation": {
        "category": "vital-signs",
        "code": "8867-4",
        "value_quantity": 72.0,
        "unit": "/min",
        "status": "final",
    },
    "medication": {"kind": "statement", "drug": "metformin", "status": "active"},
    "order": {"category": "laboratory", "display": "Lipid panel", "status": "draft"},
    "allergy": {"substance": "penicillin", "category": "medication"},
    "condition": {"display": "Essential hypertension", "code": "I10"},
    "care_plan": {"title": "Diabetes care", "status": "draft"},
    "consent": {"category": "ambient-recording", "status": "proposed"},
}


def add_record_entry(
    settings: Settings,
    world: TenantWorld,
    patient_id: str,
    resource: str,
    state: str = "proposed",
    **values: object,
) -> str:
    """An entry of the patient's clinical record (proposed unless told), stored directly."""
    from datetime import UTC, datetime

    from clinscribe.db.models import RECORD_MODELS

    with session_scope(settings.resolved_database_url) as session:
        row = RECORD_MODELS[resource]()
        fields = {
            "tenant_id": world.id,
            "patient_id": patient_id,
            "state": state,
            "version": 1,
            "sources": [{"kind": "manual"}],
            **RECORD_SAMPLES[resource],
            **values,
        }
        if resource == "observation":
            fields.setdefault("effective_at", datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
        return row.id


def add_co_clinician(settings: Settings, world: TenantWorld, name: str = "Dr Second") -> str:
    """A second clinician of the tenant who sees every encounter (so may co-edit drafts),
    kept in the world as `co_clinician`; returns the user id."""
    with session_scope(settings.resolved_database_url) as session:
        email = f"{unique('coclin')}@example.org"
        user = service.create_user(
            session=session,
            tenant_id=world.id,
            data=UserCreate(
                email=email,
                role="clinician",
                full_name=name,
                password=PASSWORD,
                can_view_all_encounters=True,
            ),
        )
        world.users["co_clinician"] = user.id
        world.emails["co_clinician"] = email
        world.tokens["co_clinician"] = auth.issue_access_token(settings=settings, user=user)
        return str(user.id)


def spike_ecg(seconds: float = 4.0, rate: int = 250, heart_rate: float = 60.0) -> object:
    """A cheap ECG-like lead (mV): a narrow 1.5 mV R wave and a low T wave per beat."""
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    period = 60.0 / heart_rate
    phase = np.mod(t, period) - period / 2
    return 1.5 * np.exp(-((phase / 0.012) ** 2)) + 0.3 * np.exp(-(((phase - 0.25) / 0.05) ** 2))


def ecg_wfdb_files(seconds: float = 4.0, rate: int = 250) -> list[tuple[str, bytes]]:
    """A one-lead WFDB record (.hea and .dat) of `spike_ecg`."""
    import tempfile
    from pathlib import Path

    import numpy as np
    import wfdb

    signal = np.asarray(spike_ecg(seconds, rate))[:, None]
    with tempfile.TemporaryDirectory() as tmp:
        wfdb.wrsamp(
            "ecg",
            fs=rate,
            units=["mV"],
            sig_name=["II"],
            p_signal=signal,
            fmt=["16"],
            write_dir=tmp,
        )
        return [(p.name, p.read_bytes()) for p in sorted(Path(tmp).iterdir())]


def add_waveform(settings: Settings, world: TenantWorld, patient_id: str) -> str:
    """A short one-lead ECG of the patient, ingested through the waveforms service."""
    import numpy as np

    from clinscribe.waveforms import service as waveforms
    from clinscribe.waveforms.core.recording import Recording

    signal = np.asarray(spike_ecg())[:, None]
    with session_scope(settings.resolved_database_url) as session:
        row = waveforms.ingest(
            session=session,
            settings=settings,
            principal=world.principal("clinician"),
            patient_id=patient_id,
            recording=Recording(("II",), 250.0, signal, "wfdb"),
        )
        return row.id


def add_study(
    settings: Settings, world: TenantWorld, patient_id: str, *, held: bool = False
) -> tuple[str, str]:
    """A one-instance CT study of the patient (anonymous, or naming someone else when `held`):
    (study id, SOP instance UID)."""
    import io

    import pydicom

    from clinscribe.imaging import intake
    from clinscribe.storage.blobs import LocalBlobStore
    from tests.unit.imaging.dicom_samples import ct

    data = ct(patient_id="OTHER-1", patient_name="Other^Person") if held else ct()
    with session_scope(settings.resolved_database_url) as session:
        result = intake.accept(
            session=session,
            settings=settings,
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
            principal=world.principal("clinician"),
            patient_id=patient_id,
            files=[io.BytesIO(data)],
        )
        study_id = result.studies[0].id
    return study_id, str(pydicom.dcmread(io.BytesIO(data)).SOPInstanceUID)
