"""FHIR R4: map signed notes to transaction Bundles, validate them, deliver them to EHRs."""

from clinscribe.fhir.auth import (
    ClientSecretAuth,
    NoAuth,
    PasswordAuth,
    SmartBackendAuth,
    client_assertion,
)
from clinscribe.fhir.bundle import build_bundle, validate_bundle
from clinscribe.fhir.client import EndpointConfig, FhirClient, classify
from clinscribe.fhir.codes import FHIR_VERSION
from clinscribe.fhir.errors import (
    BundleValidationError,
    FhirError,
    MappingError,
    TokenError,
    UnsafeUrlError,
    UrlResolutionError,
)
from clinscribe.fhir.ids import document_identifier
from clinscribe.fhir.results import DeliveryResult
from clinscribe.fhir.retry import RetryPolicy, backoff_delay, deliver, parse_retry_after
from clinscribe.fhir.schemas import Clinician, Entity, Identifier, Section, SignedNote, Vital
from clinscribe.fhir.urls import UrlPolicy, validate_outbound_url

__all__ = [
    "FHIR_VERSION",
    "BundleValidationError",
    "ClientSecretAuth",
    "Clinician",
    "DeliveryResult",
    "EndpointConfig",
    "Entity",
    "FhirClient",
    "FhirError",
    "Identifier",
    "MappingError",
    "NoAuth",
    "PasswordAuth",
    "RetryPolicy",
    "Section",
    "SignedNote",
    "SmartBackendAuth",
    "TokenError",
    "UnsafeUrlError",
    "UrlPolicy",
    "UrlResolutionError",
    "Vital",
    "backoff_delay",
    "build_bundle",
    "classify",
    "client_assertion",
    "deliver",
    "document_identifier",
    "parse_retry_after",
    "validate_bundle",
    "validate_outbound_url",
]
