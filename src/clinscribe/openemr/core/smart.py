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
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from clinscribe.errors import ClinscribeError

SCOPE = "launch openid fhirUser patient/*.read"
WELL_KNOWN = "/.well-known/smart-configuration"


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
    """What the EHR's `.well-known/smart-configuration` says (the parts a launch uses).

    SMART v1 documents (OpenEMR 7's among them) name neither the ID token's issuer nor the
    JWKS; those then come from the OpenID discovery document at `openid_base`.
    """

    authorization_endpoint: str
    token_endpoint: str
    issuer: str | None = None
    jwks_uri: str | None = None

    @property
    def openid_base(self) -> str:
        # OpenEMR serves /authorize, /token and /.well-known/openid-configuration side by side
        # under its issuer (https://emr/oauth2/<site>).
        return self.authorization_endpoint.rsplit("/", 1)[0]


def normalize_iss(iss: str) -> str:
    """The FHIR base as stored and compared: trimmed, without a trailing slash."""
    return iss.strip().rstrip("/")


def _url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def parse_configuration(document: Any) -> SmartConfig:
    """The endpoints of a discovery document; `SmartLaunchFailed` (502) if it cannot be used."""
    if not isinstance(document, Mapping):
        raise SmartLaunchFailed(
            "discovery", "the EHR's SMART configuration is not an object", status_code=502
        )
    required = [document.get("authorization_endpoint"), document.get("token_endpoint")]
    optional = [document.get("issuer"), document.get("jwks_uri")]
    if not all(_url(v) for v in required) or not all(v is None or _url(v) for v in optional):
        raise SmartLaunchFailed(
            "discovery", "the EHR's SMART configuration lacks an endpoint", status_code=502
        )
    methods = document.get("code_challenge_methods_supported")
    if methods is not None and (not isinstance(methods, list) or "S256" not in methods):
        # Absent (SMART v1) is accepted: S256 is sent anyway; a list without it is a refusal.
        raise SmartLaunchFailed("discovery", "the EHR does not support PKCE S256", status_code=502)
    return SmartConfig(
        authorization_endpoint=str(required[0]),
        token_endpoint=str(required[1]),
        issuer=str(optional[0]) if optional[0] else None,
        jwks_uri=str(optional[1]) if optional[1] else None,
    )


def with_openid(config: SmartConfig, document: Any) -> SmartConfig:
    """The SMART configuration completed from an OpenID discovery document (issuer, JWKS)."""
    if not isinstance(document, Mapping) or not all(
        _url(document.get(k)) for k in ("issuer", "jwks_uri")
    ):
        raise SmartLaunchFailed(
            "discovery", "the EHR names no issuer or JWKS for its ID tokens", status_code=502
        )
    return replace(config, issuer=str(document["issuer"]), jwks_uri=str(document["jwks_uri"]))


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
