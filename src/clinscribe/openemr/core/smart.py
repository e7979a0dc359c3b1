"""SMART App Launch (EHR launch) pieces with no I/O: discovery, the authorize URL, PKCE, ids.

What a launch reads from the EHR is checked here before anything acts on it: a discovery
document must name http(s) endpoints and support S256, and the FHIR ids in the launch context
must be UUIDs (OpenEMR's FHIR ids are its `uuid` columns as text).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from clinscribe.errors import ClinscribeError

SCOPE = "launch openid fhirUser patient/*.read"
WELL_KNOWN = "/.well-known/smart-configuration"
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class SmartLaunchFailed(ClinscribeError):
    """A SMART launch did not complete; `reason` names the step (audited, shown as a page)."""

    status_code = 400
    code = "smart_launch_failed"

    def __init__(
        self, reason: str, message: str, *, status_code: int = 400, tenant_id: str | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.reason = reason
        self.tenant_id = tenant_id


@dataclass(frozen=True)
class SmartConfig:
    """What the EHR's `.well-known/smart-configuration` says (the parts a launch uses)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def normalize_iss(iss: str) -> str:
    """The FHIR base as stored and compared: trimmed, without a trailing slash."""
    return iss.strip().rstrip("/")


def parse_configuration(document: Any) -> SmartConfig:
    """The endpoints of a discovery document; `SmartLaunchFailed` (502) if it cannot be used."""
    if not isinstance(document, Mapping):
        raise SmartLaunchFailed(
            "discovery", "the EHR's SMART configuration is not an object", status_code=502
        )
    values = {name: document.get(name) for name in ("issuer", *_ENDPOINTS)}
    if not all(
        isinstance(v, str) and v.startswith(("https://", "http://")) for v in values.values()
    ):
        raise SmartLaunchFailed(
            "discovery", "the EHR's SMART configuration lacks an endpoint", status_code=502
        )
    methods = document.get("code_challenge_methods_supported")
    if not isinstance(methods, list) or "S256" not in methods:
        raise SmartLaunchFailed("discovery", "the EHR does not support PKCE S256", status_code=502)
    return SmartConfig(**{k: str(v) for k, v in values.items()})


def challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    config: SmartConfig,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    verifier: str,
    iss: str,
    launch: str,
) -> str:
    """The EHR's authorize URL for this launch (code flow, PKCE S256, aud = the FHIR base)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "aud": iss,
        "launch": launch,
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in config.authorization_endpoint else "?"
    return config.authorization_endpoint + separator + urlencode(params)


def fhir_uuid(value: object, what: str) -> bytes:
    """The 16 bytes of an OpenEMR FHIR id (its `uuid` column); 400 for anything else."""
    if not isinstance(value, str) or not value:
        raise SmartLaunchFailed("context", f"the launch names no {what}")
    try:
        return uuid.UUID(value.rsplit("/", 1)[-1]).bytes
    except ValueError as exc:
        raise SmartLaunchFailed("context", f"the launch's {what} id is not an OpenEMR id") from exc


def oauth_error(value: str | None) -> str:
    """An OAuth error code safe to log and show (letters and underscores, at most 40)."""
    text = "".join(c for c in (value or "") if c.isalpha() or c == "_")[:40]
    return text or "no_code"
