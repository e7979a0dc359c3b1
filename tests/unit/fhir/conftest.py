"""Fixtures for the FHIR tests: signed notes, keys and a running test FHIR server."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clinscribe.fhir.core import EndpointConfig, FhirClient, SignedNote, document_identifier
from tests.fhir_server import FhirTestServer

PATIENT_SYSTEM = "urn:oid:2.16.840.1.113883.19.5"
ENCOUNTER_SYSTEM = "urn:oid:2.16.840.1.113883.19.6"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

SECTIONS = [
    ("subjective", "Subjective", "Chest pain for 3 days, worse on exertion. Denies fever."),
    ("objective", "Objective", "BP 142/88, HR 96, SpO2 97%.\nLungs clear."),
    ("assessment", "Assessment", "Essential hypertension. Possible angina."),
    ("plan", "Plan", "Aspirin 81 mg oral daily. Follow up in 2 weeks."),
]
ENTITIES: list[dict[str, Any]] = [
    {
        "text": "chest pain",
        "category": "MEDICAL_CONDITION",
        "traits": ["SYMPTOM"],
        "codes": [{"system": ICD, "code": "R07.9", "display": "Chest pain, unspecified"}],
    },
    {"text": "fever", "category": "MEDICAL_CONDITION", "traits": ["SYMPTOM", "NEGATION"]},
    {
        "text": "hypertension",
        "category": "MEDICAL_CONDITION",
        "traits": ["DIAGNOSIS"],
        "codes": [{"system": ICD, "code": "I10", "display": "Essential (primary) hypertension"}],
    },
    {"text": "angina", "category": "MEDICAL_CONDITION", "traits": ["DIAGNOSIS", "UNCERTAIN"]},
    {"text": "diabetes", "category": "MEDICAL_CONDITION", "traits": ["FAMILY_HISTORY"]},
    {"text": "stroke", "category": "MEDICAL_CONDITION", "traits": ["HYPOTHETICAL"]},
    {
        "text": "aspirin",
        "category": "MEDICATION",
        "type": "GENERIC_NAME",
        "attributes": {"dosage": "81 mg", "route": "oral", "frequency": "daily"},
        "codes": [{"system": RXNORM, "code": "1191", "display": "aspirin"}],
    },
    {"text": "warfarin", "category": "MEDICATION", "traits": ["NEGATION"]},
]
VITALS: list[dict[str, Any]] = [
    {"type": "blood_pressure", "systolic": 142, "diastolic": 88, "unit": "mmHg"},
    {"type": "heart_rate", "value": 96, "unit": "/min"},
    {"type": "respiratory_rate", "value": 16, "unit": "/min"},
    {"type": "temperature", "value": 37.2, "unit": "Cel"},
    {"type": "oxygen_saturation", "value": 97, "unit": "%"},
    {"type": "weight", "value": 180, "unit": "[lb_av]"},
    {"type": "height", "value": 170, "unit": "cm"},
    {"type": "bmi", "value": 28.2, "unit": "kg/m2"},
    {"type": "glucose", "value": 104, "unit": "mg/dL"},
]


def make_note(
    note_id: str = "note-1",
    version: int = 1,
    *,
    mrn: str = "MRN-1001",
    encounter: str = "ENC-1",
    template: str = "soap",
    sections: list[tuple[str, str, str]] | None = None,
    **overrides: Any,
) -> SignedNote:
    sections = SECTIONS if sections is None else sections
    text = "\n\n".join(f"{title.upper()}\n{body}" for _, title, body in sections)
    values: dict[str, Any] = {
        "note_id": note_id,
        "version": version,
        "template": template,
        "status": "final" if version == 1 else "amended",
        "sections": [{"key": k, "title": t, "text": b} for k, t, b in sections],
        "text": text,
        "entities": ENTITIES,
        "vitals": VITALS,
        "patient": {"system": PATIENT_SYSTEM, "value": mrn},
        "encounter": {"system": ENCOUNTER_SYSTEM, "value": encounter},
        "author": {"id": "clin-7", "name": "Dr Ada Lovelace"},
        "signed_at": datetime(2026, 11, 23, 15, 30, tzinfo=UTC),
        "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "recording_id": f"rec-{note_id}",
        "transcript_id": f"tr-{note_id}",
        "replaces": document_identifier(note_id, version - 1) if version > 1 else None,
    }
    values.update(overrides)
    return SignedNote.model_validate(values)


@pytest.fixture
def note_factory() -> Callable[..., SignedNote]:
    return make_note


def seed_world(server: FhirTestServer, mrns: list[str], encounters: list[str]) -> None:
    for mrn in mrns:
        server.seed(
            {"resourceType": "Patient", "identifier": [{"system": PATIENT_SYSTEM, "value": mrn}]}
        )
    for enc in encounters:
        server.seed(
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "identifier": [{"system": ENCOUNTER_SYSTEM, "value": enc}],
            }
        )


@pytest.fixture
def fhir_server() -> Iterator[FhirTestServer]:
    with FhirTestServer(commit_delay=0.7) as server:
        seed_world(server, ["MRN-1001"], ["ENC-1", "ENC-2"])
        yield server


def local_config(server: FhirTestServer, **overrides: Any) -> EndpointConfig:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "prod": False,
        "allow_loopback": True,
        "timeout": 0.5,
    }
    values.update(overrides)
    return EndpointConfig.model_validate(values)


@pytest.fixture
def fhir_client(fhir_server: FhirTestServer) -> Iterator[FhirClient]:
    with FhirClient(local_config(fhir_server)) as client:
        yield client


def pem_private(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_public(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())
