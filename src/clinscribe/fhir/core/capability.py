"""The read API's CapabilityStatement and its OperationOutcome errors (pure)."""

from __future__ import annotations

from datetime import datetime

from clinscribe import __version__
from clinscribe.fhir.core.codes import FHIR_VERSION
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.core.search import SEARCH_PARAMS

ERROR_SYSTEM = "urn:clinscribe:error"
_SMART = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
# FHIR search parameter definitions of the base specification, by type and name.
_BASE = "http://hl7.org/fhir/SearchParameter/"
_DEFINITIONS = {
    "_id": "Resource-id",
    "patient": "clinical-patient",
    "subject": "{type}-subject",
    "code": "clinical-code",
    "date": "clinical-date",
}
# HTTP status -> OperationOutcome issue code.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def operation_outcome(status: int, code: str, message: str) -> JsonDict:
    """An OperationOutcome for an error: our error code as a coding, a message without input."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error" if status < 500 else "fatal",
                "code": ISSUE_CODES.get(status, "exception"),
                "details": {
                    "coding": [{"system": ERROR_SYSTEM, "code": code}],
                    "text": message,
                },
                "diagnostics": message,
            }
        ],
    }


def error_code(outcome: JsonDict) -> str | None:
    """Our error code in an OperationOutcome built by `operation_outcome`."""
    try:
        return str(outcome["issue"][0]["details"]["coding"][0]["code"])
    except (KeyError, IndexError, TypeError):
        return None


def _definition(resource_type: str, name: str) -> str:
    template = _DEFINITIONS.get(name, f"{resource_type}-{name}")
    return _BASE + template.format(type=resource_type)


def _resource(resource_type: str) -> JsonDict:
    params = SEARCH_PARAMS[resource_type]
    resource: JsonDict = {
        "type": resource_type,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "searchParam": [
            {"name": name, "type": kind, "definition": _definition(resource_type, name)}
            for name, kind in params.items()
        ],
    }
    includes = [f"{resource_type}:{n}" for n, kind in params.items() if kind == "reference"]
    if includes:
        resource["searchInclude"] = includes
    return resource


def capability_statement(*, base_url: str, now: datetime, token_url: str | None = None) -> JsonDict:
    """What this server supports: read and search-type on each type, JSON only, SMART scopes."""
    security: JsonDict = {
        "cors": False,
        "service": [
            {
                "coding": [{"system": _SERVICE, "code": "SMART-on-FHIR"}],
                "text": "OAuth2 bearer tokens and API keys with SMART scopes",
            }
        ],
        "description": (
            "Bearer access tokens or API keys of the Clinscribe API. SMART v1 and v2 scopes "
            "(patient/, user/, system/ with .read, .rs ...) limit what a credential may read; "
            "a patient/ scope reaches only the patient in the token's launch context."
        ),
    }
    if token_url:
        security["extension"] = [
            {"url": _SMART, "extension": [{"url": "token", "valueUri": token_url}]}
        ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now.date().isoformat(),
        "publisher": "Clinscribe",
        "kind": "instance",
        "software": {"name": "Clinscribe", "version": __version__},
        "implementation": {"description": "Clinscribe FHIR R4 read API", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": security,
                "resource": [_resource(t) for t in SEARCH_PARAMS],
            }
        ],
    }
