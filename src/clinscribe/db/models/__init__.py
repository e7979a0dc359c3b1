"""Typed ORM models, one module per capability; import them from here."""

from __future__ import annotations

from clinscribe.db.models.accounts import ROLES, ApiKey, RefreshToken, Tenant, User
from clinscribe.db.models.asr import Transcript
from clinscribe.db.models.audit import AuditEvent, AuditHead
from clinscribe.db.models.clinical import (
    RECORD_MODELS,
    RECORD_STATES,
    AllergyEntry,
    CarePlan,
    ClinicalObservation,
    ConditionEntry,
    Consent,
    InteractionAcknowledgement,
    MedicationEntry,
    RecordMixin,
    RecordRevision,
    ServiceOrder,
)
from clinscribe.db.models.documents import (
    DOCUMENT_KINDS,
    DOCUMENT_STATUSES,
    FACT_KINDS,
    Document,
    DocumentFact,
    DocumentPage,
    LabObservation,
)
from clinscribe.db.models.fhir import Delivery, EhrEndpoint
from clinscribe.db.models.imaging import (
    INSTANCE_KINDS,
    STUDY_STATUSES,
    ImagingInstance,
    ImagingSeries,
    ImagingStudy,
    NoteStudy,
)
from clinscribe.db.models.jobs import JOB_STATUSES, Job
from clinscribe.db.models.mfa import MfaRecoveryCode, SignInFailure, UserMfa
from clinscribe.db.models.nlp import ExtractionRecord
from clinscribe.db.models.notes import NOTE_STATUSES, Note, NoteTemplate, NoteVersion
from clinscribe.db.models.recordings import Recording
from clinscribe.db.models.records import (
    ENCOUNTER_STATUSES,
    ENCOUNTER_TYPES,
    NAME_PREFIX_MAX,
    SEXES,
    Encounter,
    Patient,
    patient_mrn_index,
    patient_name_query_token,
    patient_name_tokens,
)
from clinscribe.db.models.retrieval import RetrievalChunk
from clinscribe.db.models.smart import SmartLaunch
from clinscribe.db.models.streaming import StreamSession, StreamToken
from clinscribe.db.models.waveforms import WAVEFORM_FORMATS, Waveform

__all__ = [
    "DOCUMENT_KINDS",
    "DOCUMENT_STATUSES",
    "ENCOUNTER_STATUSES",
    "ENCOUNTER_TYPES",
    "FACT_KINDS",
    "INSTANCE_KINDS",
    "JOB_STATUSES",
    "NAME_PREFIX_MAX",
    "NOTE_STATUSES",
    "RECORD_MODELS",
    "RECORD_STATES",
    "ROLES",
    "SEXES",
    "STUDY_STATUSES",
    "WAVEFORM_FORMATS",
    "AllergyEntry",
    "ApiKey",
    "AuditEvent",
    "AuditHead",
    "CarePlan",
    "ClinicalObservation",
    "ConditionEntry",
    "Consent",
    "Delivery",
    "Document",
    "DocumentFact",
    "DocumentPage",
    "EhrEndpoint",
    "Encounter",
    "ExtractionRecord",
    "ImagingInstance",
    "ImagingSeries",
    "ImagingStudy",
    "InteractionAcknowledgement",
    "Job",
    "LabObservation",
    "MedicationEntry",
    "MfaRecoveryCode",
    "Note",
    "NoteStudy",
    "NoteTemplate",
    "NoteVersion",
    "Patient",
    "RecordMixin",
    "RecordRevision",
    "Recording",
    "RefreshToken",
    "RetrievalChunk",
    "ServiceOrder",
    "SignInFailure",
    "SmartLaunch",
    "StreamSession",
    "StreamToken",
    "Tenant",
    "Transcript",
    "User",
    "UserMfa",
    "Waveform",
    "patient_mrn_index",
    "patient_name_query_token",
    "patient_name_tokens",
]
