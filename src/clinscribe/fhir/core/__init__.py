"""FHIR R4: map signed notes to transaction Bundles, validate them, deliver them to EHRs."""

from clinscribe.fhir.core.auth import (
    ClientSecretAuth,
    NoAuth,
    PasswordAuth,
    SmartBackendAuth,
    client_assertion,
)
from clinscribe.fhir.core.bundle import build_bundle, validate_bundle
from clinscribe.fhir.core.client import EhrClient, EndpointConfig, FhirClient, classify
from clinscribe.fhir.core.codes import FHIR_VERSION
from clinscribe.fhir.core.errors import (
    BundleValidationError,
    FhirError,
    MappingError,
    TokenError,
    UnsafeUrlError,
    UrlResolutionError,
)
from clinscribe.fhir.core.ids import document_identifier
from clinscribe.fhir.core.results import DeliveryResult
from clinscribe.fhir.core.retry import RetryPolicy, backoff_delay, deliver, parse_retry_after
from clinscribe.fhir.core.schemas import Clinician, Entity, Identifier, Section, SignedNote, Vital
from clinscribe.security.outbound import UrlPolicy, validate_outbound_url

__all__ = [
    "FHIR_VERSION",
    "BundleValidationError",
    "ClientSecretAuth",
    "Clinician",
    "DeliveryResult",
    "EhrClient",
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
