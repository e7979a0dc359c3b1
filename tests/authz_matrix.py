"""The authorization matrix, walked over every route of the OpenAPI schema.

A route added later fails `test_every_route_is_classified` until it is given a policy here,
and the anonymous and cross-tenant checks then cover it with no further work.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.support import (
    TenantWorld,
    add_document,
    add_note,
    add_patient_and_encounter,
    add_record_entry,
    add_recording,
    add_study,
    add_text_transcript,
    add_waveform,
    ecg_wfdb_files,
    unique,
    wav_bytes,
)

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    # Sign-in with OpenEMR credentials (checked in tests/integration/openemr).
    ("POST", "/api/v1/auth/openemr/login"),
    # SMART App Launch from OpenEMR: browser navigations checked in tests/integration/openemr.
    ("GET", "/smart/launch"),
    ("GET", "/smart/callback"),
    # Browser single sign-on: the provider's redirect and the page's one-time collection.
    ("GET", "/api/v1/auth/oidc/login"),
    ("GET", "/api/v1/auth/oidc/callback"),
    ("POST", "/api/v1/auth/oidc/session"),
    # Sign-in's second step: the single-purpose ticket from the password step is the credential.
    ("POST", "/api/v1/auth/mfa/verify"),
    # Signed document links: the token in the path is the credential (tested on their own).
    ("POST", "/api/v1/document-links/{token}"),
    ("GET", "/api/v1/document-links/{token}"),
    # The FHIR CapabilityStatement: SMART apps read it before they have a token.
    ("GET", "/fhir/R4/metadata"),
}
# Every FHIR resource type the read API searches (GET /fhir/R4/<type>).
FHIR_TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "MedicationStatement",
    "MedicationRequest",
    "ServiceRequest",
    "AllergyIntolerance",
    "CarePlan",
    "Consent",
    "DocumentReference",
    "Composition",
    "ImagingStudy",
)

# Routes that need the tenant's OpenEMR connection, which the matrix's tenants do not have: an
# allowed caller gets past authorization to exactly this error (the connected behaviour is
# tested against MariaDB in tests/integration/openemr).
# Likewise, a retry needs a failed document; the matrix's document is ready.
PAST_AUTHORIZATION = {
    ("GET", "/api/v1/tenant/openemr/status"): "openemr_not_configured",
    ("PATCH", "/api/v1/tenant/openemr"): "openemr_not_configured",
    ("POST", "/api/v1/openemr/sync"): "openemr_not_configured",
    ("GET", "/api/v1/openemr/facilities"): "openemr_not_configured",
    ("GET", "/api/v1/openemr/providers"): "openemr_not_configured",
    ("POST", "/api/v1/documents/{document_id}/retry"): "document_not_failed",
    # A code needs an enrolment (and the matrix's users have none confirmed); checked with real
    # codes in tests/unit/accounts/test_mfa.py and test_step_up.py.
    ("POST", "/api/v1/auth/mfa/confirm"): "mfa_not_enrolled",
    ("DELETE", "/api/v1/auth/mfa"): "mfa_not_enrolled",
    ("POST", "/api/v1/auth/mfa/step-up"): "mfa_not_enrolled",
    # Acknowledging needs a current alert; the acknowledgement itself is tested in clinical.
    ("POST", "/api/v1/patients/{patient_id}/interactions/acknowledge"): "unknown_alert",
    # The body names a study of the world's own patient, the note is a fresh patient's: the
    # attach itself is tested in tests/unit/imaging.
    ("POST", "/api/v1/notes/{note_id}/studies"): "study_other_patient",
}

# The clinical record's resources by URL segment (each has the same seven routes).
RECORD_SEGMENTS = {
    "observations": "observation",
    "medications": "medication",
    "orders": "order",
    "allergies": "allergy",
    "conditions": "condition",
    "care-plans": "care_plan",
    "consents": "consent",
}

# A one-lead WFDB record (.hea + .dat) for the waveform upload, written once.
ECG_FILES = ecg_wfdb_files()
USERS = ("clinician", "reviewer", "admin")
KEYS = ("key_read", "key_write", "key_admin")
EVERYONE = frozenset(USERS + KEYS)
READERS = frozenset({"clinician", "reviewer", "admin", *KEYS})
WRITERS = frozenset({"clinician", "admin", "key_write", "key_admin"})
ADMINS = frozenset({"admin", "key_admin"})
CLINICIAN = frozenset({"clinician"})
REVIEWER = frozenset({"reviewer"})
DELIVERERS = frozenset({"clinician", "reviewer", "admin", "key_write", "key_admin"})

POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/me"): frozenset(USERS),
    # A second factor belongs to a person: API keys have none.
    ("GET", "/api/v1/auth/mfa"): frozenset(USERS),
    ("POST", "/api/v1/auth/mfa/enrol"): frozenset(USERS),
    ("POST", "/api/v1/auth/mfa/confirm"): frozenset(USERS),
    ("DELETE", "/api/v1/auth/mfa"): frozenset(USERS),
    ("POST", "/api/v1/auth/mfa/step-up"): frozenset(USERS),
    ("GET", "/api/v1/tenant/security"): READERS,
    ("PUT", "/api/v1/tenant/security"): ADMINS,
    ("POST", "/api/v1/users/{user_id}/unlock"): ADMINS,
    ("GET", "/api/v1/tenant"): READERS,
    ("PATCH", "/api/v1/tenant"): ADMINS,
    ("GET", "/api/v1/users"): ADMINS | {"reviewer"},
    ("POST", "/api/v1/users"): ADMINS,
    ("GET", "/api/v1/users/{user_id}"): ADMINS | {"reviewer"},
    ("PATCH", "/api/v1/users/{user_id}"): ADMINS,
    ("GET", "/api/v1/api-keys"): ADMINS,
    ("POST", "/api/v1/api-keys"): ADMINS,
    ("DELETE", "/api/v1/api-keys/{key_id}"): ADMINS,
    ("PATCH", "/api/v1/api-keys/{key_id}"): ADMINS,
    ("GET", "/api/v1/tenant/ip-allowlist"): ADMINS,
    ("PUT", "/api/v1/tenant/ip-allowlist"): ADMINS,
    ("GET", "/api/v1/admin/egress"): ADMINS,
    ("GET", "/api/v1/patients"): READERS,
    ("POST", "/api/v1/patients"): WRITERS,
    ("GET", "/api/v1/patients/{patient_id}"): READERS,
    ("PATCH", "/api/v1/patients/{patient_id}"): WRITERS,
    ("DELETE", "/api/v1/patients/{patient_id}"): ADMINS,
    ("GET", "/api/v1/encounters"): READERS,
    ("POST", "/api/v1/encounters"): WRITERS,
    ("GET", "/api/v1/encounters/{encounter_id}"): READERS,
    ("PATCH", "/api/v1/encounters/{encounter_id}"): WRITERS,
    ("DELETE", "/api/v1/encounters/{encounter_id}"): ADMINS,
    ("GET", "/api/v1/audit"): ADMINS,
    ("POST", "/api/v1/encounters/{encounter_id}/recordings"): WRITERS,
    ("POST", "/api/v1/encounters/{encounter_id}/text"): WRITERS,
    ("GET", "/api/v1/encounters/{encounter_id}/recordings"): READERS,
    ("GET", "/api/v1/encounters/{encounter_id}/transcripts"): READERS,
    ("GET", "/api/v1/recordings/{recording_id}"): READERS,
    ("GET", "/api/v1/recordings/{recording_id}/audio"): READERS,
    ("GET", "/api/v1/transcripts/{transcript_id}"): READERS,
    ("GET", "/api/v1/jobs/{job_id}"): READERS,
    ("POST", "/api/v1/uploads"): WRITERS,
    ("POST", "/api/v1/uploads/"): WRITERS,
    ("OPTIONS", "/api/v1/uploads/"): WRITERS,
    ("HEAD", "/api/v1/uploads/{uuid}"): WRITERS,
    ("PATCH", "/api/v1/uploads/{uuid}"): WRITERS,
    ("DELETE", "/api/v1/uploads/{uuid}"): WRITERS,
    ("POST", "/api/v1/nlp/extract"): READERS,
    ("POST", "/api/v1/nlp/deid"): READERS,
    ("GET", "/api/v1/transcripts/{transcript_id}/extraction"): READERS,
    ("GET", "/api/v1/templates"): READERS,
    ("GET", "/api/v1/templates/{key}"): READERS,
    ("POST", "/api/v1/templates"): ADMINS,
    ("PUT", "/api/v1/templates/{key}"): ADMINS,
    ("DELETE", "/api/v1/templates/{key}"): ADMINS,
    ("POST", "/api/v1/encounters/{encounter_id}/notes"): CLINICIAN,
    ("GET", "/api/v1/encounters/{encounter_id}/notes"): READERS,
    ("GET", "/api/v1/notes/{note_id}"): READERS,
    ("GET", "/api/v1/notes/{note_id}/versions"): READERS,
    ("GET", "/api/v1/notes/{note_id}/record-preview"): READERS,
    ("PATCH", "/api/v1/notes/{note_id}"): CLINICIAN,
    ("POST", "/api/v1/notes/{note_id}/live/tokens"): READERS,
    ("POST", "/api/v1/notes/{note_id}/submit"): CLINICIAN,
    ("POST", "/api/v1/notes/{note_id}/approve"): REVIEWER,
    ("POST", "/api/v1/notes/{note_id}/reject"): REVIEWER,
    ("POST", "/api/v1/notes/{note_id}/sign"): CLINICIAN,
    ("POST", "/api/v1/notes/{note_id}/amend"): CLINICIAN,
    ("POST", "/api/v1/transcriptions/{transcription_id}/approve"): REVIEWER,
    ("POST", "/api/v1/transcriptions/{transcription_id}/reject"): REVIEWER,
    ("GET", "/api/v1/notes/{note_id}/fhir"): READERS,
    ("GET", "/api/v1/notes/{note_id}/deliveries"): READERS,
    ("POST", "/api/v1/notes/{note_id}/deliver"): DELIVERERS,
    ("POST", "/api/v1/transcriptions/{transcription_id}/deliver"): DELIVERERS,
    ("PUT", "/api/v1/tenant/ehr"): ADMINS,
    ("GET", "/api/v1/tenant/ehr"): ADMINS,
    ("GET", "/api/v1/tenant/retention"): READERS,
    ("PUT", "/api/v1/tenant/retention"): ADMINS,
    ("GET", "/api/v1/tenant/openemr"): ADMINS,
    ("PUT", "/api/v1/tenant/openemr"): ADMINS,
    ("GET", "/api/v1/tenant/openemr/status"): ADMINS,
    ("PATCH", "/api/v1/tenant/openemr"): ADMINS,
    ("GET", "/api/v1/openemr/overview"): ADMINS,
    ("GET", "/api/v1/notes/{note_id}/openemr"): READERS,
    ("GET", "/api/v1/tenant/smart"): ADMINS,
    ("PUT", "/api/v1/tenant/smart"): ADMINS,
    ("POST", "/api/v1/openemr/sync"): ADMINS,
    ("GET", "/api/v1/openemr/facilities"): READERS,
    ("GET", "/api/v1/openemr/providers"): READERS,
    ("GET", "/api/v1/admin/dead-letters"): ADMINS,
    ("GET", "/api/v1/admin/controls"): ADMINS,
    ("POST", "/api/v1/stream/tokens"): WRITERS,
    ("POST", "/api/v1/admin/dead-letters/{job_id}/replay"): ADMINS,
    ("POST", "/api/v1/patients/{patient_id}/documents"): WRITERS,
    ("GET", "/api/v1/patients/{patient_id}/documents"): READERS,
    ("POST", "/api/v1/patients/{patient_id}/documents/upload-url"): WRITERS,
    ("GET", "/api/v1/patients/{patient_id}/documents/labs"): READERS,
    ("GET", "/api/v1/patients/{patient_id}/documents/facts"): READERS,
    ("GET", "/api/v1/patients/{patient_id}/documents/fhir"): READERS,
    ("GET", "/api/v1/documents/{document_id}"): READERS,
    ("GET", "/api/v1/documents/{document_id}/download-url"): READERS,
    ("GET", "/api/v1/documents/{document_id}/pages/{number}"): READERS,
    ("DELETE", "/api/v1/documents/{document_id}"): WRITERS,
    ("POST", "/api/v1/patients/{patient_id}/waveforms"): WRITERS,
    ("GET", "/api/v1/patients/{patient_id}/waveforms"): READERS,
    ("GET", "/api/v1/waveforms/{waveform_id}"): READERS,
    ("GET", "/api/v1/waveforms/{waveform_id}/strip.svg"): READERS,
    ("GET", "/api/v1/waveforms/{waveform_id}/strip.png"): READERS,
    ("POST", "/api/v1/documents/{document_id}/retry"): WRITERS,
    ("POST", "/api/v1/patients/{patient_id}/search"): READERS,
    ("POST", "/api/v1/patients/{patient_id}/reports"): CLINICIAN,
    ("GET", "/api/v1/patients/{patient_id}/reports"): READERS,
    ("GET", "/api/v1/notes/{note_id}/pdf"): READERS,
    ("GET", "/fhir/R4/{resource_type}/{resource_id}"): READERS,
    **{("GET", f"/fhir/R4/{t}"): READERS for t in FHIR_TYPES},
    **{("POST", f"/fhir/R4/{t}/_search"): READERS for t in FHIR_TYPES},
    # Narrowing a token is for signed-in users; API keys carry their SMART scopes themselves.
    ("POST", "/api/v1/auth/fhir-token"): frozenset(USERS),
    **{
        (method, f"/api/v1/patients/{{patient_id}}/{segment}{tail}"): allowed
        for segment in RECORD_SEGMENTS
        for method, tail, allowed in (
            ("GET", "", READERS),
            ("POST", "", WRITERS),
            ("GET", "/{entry_id}", READERS),
            ("PATCH", "/{entry_id}", CLINICIAN),
            ("POST", "/{entry_id}/accept", CLINICIAN),
            ("POST", "/{entry_id}/reject", CLINICIAN),
            ("POST", "/{entry_id}/entered-in-error", CLINICIAN),
        )
    },
    ("GET", "/api/v1/patients/{patient_id}/summary"): READERS,
    ("GET", "/api/v1/patients/{patient_id}/interactions"): READERS,
    ("POST", "/api/v1/patients/{patient_id}/interactions/acknowledge"): CLINICIAN,
    ("POST", "/api/v1/patients/{patient_id}/record/accept-all"): CLINICIAN,
    ("POST", "/api/v1/patients/{patient_id}/record/import-documents"): WRITERS,
    ("POST", "/api/v1/patients/{patient_id}/studies"): WRITERS,
    ("GET", "/api/v1/patients/{patient_id}/studies"): READERS,
    ("GET", "/api/v1/studies/{study_id}"): READERS,
    ("POST", "/api/v1/studies/{study_id}/confirm"): CLINICIAN,
    ("GET", "/api/v1/studies/{study_id}/instances/{uid}/preview.png"): READERS,
    ("GET", "/api/v1/studies/{study_id}/instances/{uid}/file"): READERS,
    ("GET", "/api/v1/studies/{study_id}/export"): READERS,
    ("POST", "/api/v1/notes/{note_id}/studies"): CLINICIAN,
    ("DELETE", "/api/v1/notes/{note_id}/studies/{study_id}"): CLINICIAN,
}

# The state a note must be in for each route to be a legal step.
NOTE_STATE = {
    "submit": "draft",
    "approve": "in_review",
    "reject": "in_review",
    "sign": "approved",
    "amend": "signed",
    "fhir": "signed",
    "deliveries": "signed",
    "deliver": "signed",
}

TUS = {"Tus-Resumable": "1.0.0"}


def operations(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete", "head", "options"}
    )


def _body(
    method: str, path: str, world: TenantWorld, settings: Settings | None = None
) -> dict[str, Any] | None:
    bodies: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
        ("POST", "/api/v1/users"): lambda: {"email": f"{unique()}@example.org", "role": "reviewer"},
        ("PATCH", "/api/v1/users/{user_id}"): lambda: {"full_name": "Renamed"},
        ("PATCH", "/api/v1/tenant"): lambda: {"phi_egress_policy": "deny"},
        ("POST", "/api/v1/auth/mfa/confirm"): lambda: {"code": "123456"},
        ("DELETE", "/api/v1/auth/mfa"): lambda: {"code": "123456"},
        ("POST", "/api/v1/auth/mfa/step-up"): lambda: {"code": "123456"},
        ("PUT", "/api/v1/tenant/security"): lambda: {
            "mfa_required_roles": [],
            "step_up_minutes": 15,
        },
        ("POST", "/api/v1/api-keys"): lambda: {"name": unique("k"), "scopes": ["read"]},
        ("PATCH", "/api/v1/api-keys/{key_id}"): lambda: {"rate_limit_per_minute": 1000},
        ("PUT", "/api/v1/tenant/ip-allowlist"): lambda: {"networks": []},
        ("POST", "/api/v1/patients"): lambda: {
            "mrn": unique("M"),
            "given_name": "Bo",
            "family_name": "Matrix",
        },
        ("PATCH", "/api/v1/patients/{patient_id}"): lambda: {"given_name": "Bea"},
        ("POST", "/api/v1/patients/{patient_id}/search"): lambda: {"query": "glucose", "k": 3},
        ("POST", "/api/v1/encounters"): lambda: {
            "patient_id": world.patient_id,
            "clinician_id": world.users["clinician"],
        },
        ("PATCH", "/api/v1/encounters/{encounter_id}"): lambda: {"status": "in-progress"},
        ("POST", "/api/v1/nlp/extract"): lambda: {"text": "Denies chest pain."},
        ("POST", "/api/v1/templates"): lambda: {
            "key": unique("t").lower(),
            "title": "Brief",
            "sections": [
                {"key": "summary", "title": "Summary", "fact_kinds": ["assessment", "plan"]}
            ],
        },
        ("POST", "/api/v1/encounters/{encounter_id}/notes"): lambda: {"template": "soap"},
        ("PUT", "/api/v1/templates/{key}"): lambda: {
            "title": "Custom v2",
            "sections": [{"key": "summary", "title": "Summary", "fact_kinds": ["plan"]}],
        },
        ("PATCH", "/api/v1/notes/{note_id}"): lambda: {"sections": {"plan": "Rest and fluids."}},
        ("POST", "/api/v1/notes/{note_id}/reject"): lambda: {"reason": "Plan is missing."},
        ("POST", "/api/v1/notes/{note_id}/amend"): lambda: {
            "sections": {"plan": "Rest, fluids, return if worse."},
            "reason": "Plan clarified.",
        },
        ("POST", "/api/v1/transcriptions/{transcription_id}/reject"): lambda: {
            "reason": "Wrong patient."
        },
        ("PUT", "/api/v1/tenant/ehr"): lambda: {
            "base_url": "http://127.0.0.1:9/fhir",
            "patient_system": "urn:oid:1.2.3",
            "allow_loopback": True,
        },
        ("PUT", "/api/v1/tenant/retention"): lambda: {"retention_days": 3650},
        ("POST", "/api/v1/auth/fhir-token"): lambda: {"scope": "user/*.read"},
        ("PUT", "/api/v1/tenant/openemr"): lambda: {
            "database_url": "mysql://bridge:secret@127.0.0.1:9/openemr"
        },
        ("PATCH", "/api/v1/tenant/openemr"): lambda: {"write_back": "none"},
        ("PUT", "/api/v1/tenant/smart"): lambda: {
            "iss": f"https://{unique('emr').lower()}.example.org/apis/default/fhir",
            "client_id": "clinscribe",
        },
        ("POST", "/api/v1/nlp/deid"): lambda: {"text": "Seen by Dr. Ann Lee.", "mode": "mask"},
        ("POST", "/api/v1/encounters/{encounter_id}/text"): lambda: {
            "text": "Doctor: Any fever?\nPatient: No fever."
        },
        ("POST", "/api/v1/notes/{note_id}/studies"): lambda: {
            "study_id": add_study(settings, world, world.patient_id)[0] if settings else "none"
        },
    }
    make = bodies.get((method, path))
    if make is None and path.startswith("/api/v1/patients/{patient_id}/"):
        return _record_body(method, path)
    return make() if make else None


RECORD_CREATE: dict[str, dict[str, Any]] = {
    "observations": {
        "category": "vital-signs",
        "code": "8480-6",
        "value_quantity": 128,
        "unit": "mm[Hg]",
        "effective_at": "2026-03-01T09:30:00Z",
    },
    "medications": {"drug": "metformin 500 mg", "frequency": "twice daily"},
    "orders": {"category": "laboratory", "display": "Lipid panel"},
    "allergies": {"substance": "penicillin", "reaction": "rash"},
    "conditions": {"display": "Essential hypertension", "code": "I10"},
    "care-plans": {"title": "Diabetes care", "goals": [{"description": "HbA1c below 7%"}]},
    "consents": {"category": "ambient-recording"},
}
RECORD_EDIT: dict[str, dict[str, Any]] = {
    "observations": {"value_quantity": 70},
    "medications": {"dose": "1000 mg"},
    "orders": {"priority": "urgent"},
    "allergies": {"severity": "moderate"},
    "conditions": {"onset_date": "2020-05-01"},
    "care-plans": {"title": "Diabetes care, revised"},
    "consents": {"scope": "treatment"},
}


def _record_body(method: str, path: str) -> dict[str, Any] | None:
    parts = path.split("/")
    segment = parts[5] if len(parts) > 5 else ""
    if method == "POST" and path.endswith("/interactions/acknowledge"):
        return {"pair_key": "drug-drug:ibuprofen|warfarin", "reason": "Monitoring INR weekly."}
    if segment not in RECORD_SEGMENTS:
        return None
    if method == "POST" and len(parts) == 6:
        return RECORD_CREATE[segment]
    if method == "PATCH":
        return {"version": 1, **RECORD_EDIT[segment]}
    return None


def _fill(settings: Settings, path: str, owner: TenantWorld, client: TestClient) -> str:
    """Path parameters name fresh objects of `owner`, so deletes never starve later calls."""
    patient_id, encounter_id = add_patient_and_encounter(settings, owner)
    if path.endswith("/reports"):  # a report needs a ready document to draft from
        add_document(settings, owner, patient_id)
    study: list[tuple[str, str]] = []

    def a_study() -> tuple[str, str]:
        if not study:
            study.append(add_study(settings, owner, patient_id, held=path.endswith("/confirm")))
        return study[0]

    makers: dict[str, Callable[[], str]] = {
        "patient_id": lambda: patient_id,
        "encounter_id": lambda: _encounter(settings, owner, encounter_id, path),
        "user_id": lambda: owner.users["reviewer"],
        "key_id": lambda: _a_key_id(settings, owner),
        "recording_id": lambda: add_recording(settings, owner, encounter_id)[0],
        "job_id": lambda: _a_job(settings, owner, encounter_id, dead=path.endswith("/replay")),
        "transcript_id": lambda: add_text_transcript(settings, owner, encounter_id),
        "uuid": lambda: _an_upload(client, owner, encounter_id),
        "key": lambda: _a_template(settings, owner),
        "note_id": lambda: add_note(settings, owner, encounter_id, _note_state(path))[0],
        "transcription_id": lambda: add_note(settings, owner, encounter_id, _note_state(path))[1],
        "document_id": lambda: add_document(settings, owner, patient_id)[0],
        "waveform_id": lambda: add_waveform(settings, owner, patient_id),
        "number": lambda: "1",
        "study_id": lambda: a_study()[0],
        "uid": lambda: a_study()[1],
        # FHIR read: the fresh patient, read as a Patient resource.
        "resource_type": lambda: "Patient",
        "resource_id": lambda: patient_id,
        "entry_id": lambda: add_record_entry(
            settings, owner, patient_id, RECORD_SEGMENTS[path.split("/")[5]]
        ),
    }
    owner.last_encounter_id = encounter_id
    return re.sub(r"\{(\w+)\}", lambda m: makers[m.group(1)](), path)


def _encounter(settings: Settings, owner: TenantWorld, encounter_id: str, path: str) -> str:
    if path.endswith("/notes"):  # drafting needs something to draft from
        add_text_transcript(settings, owner, encounter_id)
    return encounter_id


def _a_job(settings: Settings, owner: TenantWorld, encounter_id: str, dead: bool) -> str:
    from sqlalchemy import update

    from clinscribe.db.models import Job
    from clinscribe.db.session import session_scope

    job_id = add_recording(settings, owner, encounter_id)[1]
    if dead:
        with session_scope(settings.resolved_database_url) as session:
            session.execute(update(Job).where(Job.id == job_id).values(status="dead"))
    return job_id


def _a_template(settings: Settings, owner: TenantWorld) -> str:
    """A tenant-defined template, so another tenant asking for it must get 404."""
    from clinscribe.db.session import session_scope
    from clinscribe.notes import templates

    key = unique("t").lower()
    with session_scope(settings.resolved_database_url) as session:
        templates.create_template(
            session=session,
            principal=owner.principal("admin"),
            data={
                "key": key,
                "title": "Custom",
                "sections": [{"key": "summary", "title": "Summary", "fact_kinds": ["plan"]}],
            },
        )
    return key


def _note_state(path: str) -> str:
    return NOTE_STATE.get(path.rsplit("/", 1)[-1], "draft")


def _tus_metadata(encounter_id: str) -> str:
    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    return f"encounter_id {b64(encounter_id)},filename {b64('a.wav')},filetype {b64('audio/wav')}"


def _an_upload(client: TestClient, owner: TenantWorld, encounter_id: str) -> str:
    response = client.post(
        "/api/v1/uploads",
        headers={
            **owner.auth("clinician"),
            **TUS,
            "Upload-Length": "100",
            "Upload-Metadata": _tus_metadata(encounter_id),
        },
    )
    assert response.status_code == 201, response.text
    return str(response.headers["location"]).rstrip("/").rsplit("/", 1)[-1]


def _a_key_id(settings: Settings, owner: TenantWorld) -> str:
    from clinscribe.accounts import service
    from clinscribe.accounts.schemas import ApiKeyCreate
    from clinscribe.db.session import session_scope

    with session_scope(settings.resolved_database_url) as session:
        row, _ = service.create_api_key(
            session=session,
            settings=settings,
            tenant_id=owner.id,
            data=ApiKeyCreate(name=unique("k"), scopes=["read"]),  # type: ignore[list-item]
        )
        return row.id


def call(
    client: TestClient,
    method: str,
    path: str,
    url: str,
    headers: dict[str, str],
    body: Any,
    owner: TenantWorld,
) -> Any:
    if path.endswith("/recordings") and method == "POST":
        files = {"file": ("tone.wav", wav_bytes(0.3), "audio/wav")}
        return client.post(url, headers=headers, files=files)
    if path.endswith("/waveforms") and method == "POST":
        ecg = [("file", (name, data, "application/octet-stream")) for name, data in ECG_FILES]
        return client.post(url, headers=headers, files=ecg)
    if path == "/api/v1/patients/{patient_id}/studies" and method == "POST":
        from tests.unit.imaging.dicom_samples import ct

        return client.post(
            url, headers=headers, files={"files": ("ct.dcm", ct(), "application/dicom")}
        )
    if path.endswith("/documents") and method == "POST":
        files = {"file": ("labs.txt", b"Sodium 139 mmol/L (135-145)\n", "text/plain")}
        return client.post(url, headers=headers, files=files)
    if path.startswith("/api/v1/uploads"):
        tus = {**headers, **TUS}
        if method == "POST":
            tus |= {
                "Upload-Length": "10",
                "Upload-Metadata": _tus_metadata(owner.last_encounter_id),
            }
        if method == "PATCH":
            tus |= {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
            return client.patch(url, headers=tus, content=b"0123")
        return client.request(method, url, headers=tus)
    return client.request(method, url, headers=headers, json=body)


def error_code(response: Any) -> Any:
    """The error code of either error shape: ours, or the FHIR API's OperationOutcome."""
    body = response.json()
    if body.get("resourceType") == "OperationOutcome":
        return body["issue"][0]["details"]["coding"][0]["code"]
    return body["error"]


def error_shaped(response: Any) -> bool:
    body = response.json()
    return body.get("resourceType") == "OperationOutcome" or set(body) == {"error", "detail"}


def check_matrix(client: TestClient, settings: Settings, a: TenantWorld, b: TenantWorld) -> int:
    """Walk every operation for anonymous, each role, each key scope and the other tenant."""
    checked = 0
    for method, path in operations(client):
        if (method, path) in PUBLIC:
            continue
        allowed = POLICY[(method, path)]
        url = _fill(settings, path, a, client)
        anonymous = call(client, method, path, url, {}, _body(method, path, a, settings), a)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        if method != "HEAD":
            assert error_code(anonymous) == "unauthorized"
        for who in sorted(EVERYONE):
            url = _fill(settings, path, a, client)
            response = call(
                client, method, path, url, a.auth(who), _body(method, path, a, settings), a
            )
            if who in allowed and (method, path) in PAST_AUTHORIZATION:
                expected = PAST_AUTHORIZATION[(method, path)]
                assert error_code(response) == expected, (method, path, who)
            elif who in allowed:
                assert response.status_code < 400, (
                    method,
                    path,
                    who,
                    response.status_code,
                    response.text,
                )
            else:
                assert response.status_code == 403, (method, path, who, response.status_code)
                if method != "HEAD":
                    assert error_code(response) == "forbidden"
            checked += 1
        # Someone of the other tenant who may do this in their own tenant: only tenancy stops them.
        outsider = "admin" if "admin" in allowed else sorted(allowed)[0]
        url = _fill(settings, path, a, client)
        response = call(
            client, method, path, url, b.auth(outsider), _body(method, path, a, settings), a
        )
        if "{" in path or (path.startswith("/api/v1/uploads") and method == "POST"):
            assert response.status_code == 404, (method, path, response.status_code)
            if method != "HEAD":
                assert error_shaped(response)
        else:
            assert a.id not in response.text, (method, path)
            for marker in (a.patient_id, a.encounter_id, *a.users.values()):
                assert marker not in response.text, (method, path)
        checked += 1
    return checked
