"""Errors of the FHIR package: mapping, validation, outbound URLs and EHR authentication."""

from __future__ import annotations

from clinscribe.errors import ClinscribeError
from clinscribe.security.outbound import OutboundUrlError, UnsafeUrlError, UrlResolutionError

__all__ = [
    "BundleValidationError",
    "FhirError",
    "MappingError",
    "OutboundUrlError",
    "TokenError",
    "UnsafeUrlError",
    "UrlResolutionError",
]


class FhirError(ClinscribeError):
    """Base of every error raised by the FHIR package."""

    status_code = 500
    code = "fhir_error"


class MappingError(FhirError):
    """A signed note cannot be mapped to FHIR (for example its content hash does not match)."""

    status_code = 422
    code = "fhir_mapping_error"


class BundleValidationError(FhirError):
    """A resource of a Bundle does not parse as FHIR R4 (checked with the R4B models)."""

    status_code = 422
    code = "fhir_validation_error"

    def __init__(
        self, message: str, *, index: int, resource_type: str, full_url: str | None
    ) -> None:
        super().__init__(message)
        self.index = index
        self.resource_type = resource_type
        self.full_url = full_url


class TokenError(FhirError):
    """The EHR's token endpoint refused or failed to issue an access token."""

    status_code = 502
    code = "fhir_token_error"

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class FormatNotSupported(FhirError):
    """The client asked for a format other than FHIR JSON."""

    status_code = 406
    code = "fhir_format_not_supported"
