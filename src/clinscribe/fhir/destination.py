"""The EHR destination factory: the client a delivery posts with, built from settings.

Modelled on Presidio's `NlpEngineProvider`: clients register under a name, the setting
`delivery_client` (default "fhir") names the one to use, and the provider shapes a tenant's
stored endpoint (URL, sealed credentials, loopback permission) and the process settings
(profile, timeout) into the `EndpointConfig` the client is built from. A client is built per
delivery: endpoint settings may change between attempts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr, TypeAdapter

from clinscribe.config import Settings
from clinscribe.db.models import EhrEndpoint
from clinscribe.errors import ConfigError
from clinscribe.fhir import core as fhir
from clinscribe.fhir.schemas import AuthIn
from clinscribe.security.associated import endpoint_aad
from clinscribe.security.crypto import key_ring

EhrClientBuilder = Callable[[fhir.EndpointConfig], fhir.EhrClient]

_AUTH: TypeAdapter[Any] = TypeAdapter(AuthIn)
_CLIENTS: dict[str, EhrClientBuilder] = {"fhir": fhir.FhirClient}


def register_ehr_client(name: str, builder: EhrClientBuilder) -> None:
    """Offer another EHR client under `name` (settings select it with `delivery_client`)."""
    _CLIENTS[name] = builder


class EhrClientProvider:
    """Endpoint configurations and clients for the EHR destinations of one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def endpoint_config(
        self, *, base_url: str, auth: Any, allow_loopback: bool
    ) -> fhir.EndpointConfig:
        """An endpoint as this profile allows it: https only and no loopback in prod."""
        s = self.settings
        return fhir.EndpointConfig(
            base_url=base_url,
            auth=auth,
            timeout=s.delivery_timeout,
            prod=s.profile == "prod",
            allow_loopback=allow_loopback and s.profile != "prod",
        )

    def seal_auth(self, auth: Any, tenant_id: str) -> str:
        """A tenant's endpoint credentials, sealed for storage (`stored_config` unseals them).

        Secrets are written out in full: pydantic's JSON would mask them as asterisks.
        """
        fields = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in auth.model_dump().items()
        }
        plain = json.dumps(fields).encode()
        return key_ring(self.settings).encrypt(plain, endpoint_aad(tenant_id))

    def stored_config(self, endpoint: EhrEndpoint) -> fhir.EndpointConfig:
        """A tenant's stored endpoint, its credentials unsealed (call within its session)."""
        sealed = key_ring(self.settings).decrypt(
            endpoint.auth_encrypted, endpoint_aad(endpoint.tenant_id)
        )
        return self.endpoint_config(
            base_url=endpoint.base_url,
            auth=_AUTH.validate_json(sealed),
            allow_loopback=endpoint.allow_loopback,
        )

    def client(self, config: fhir.EndpointConfig) -> fhir.EhrClient:
        """The configured client for `config`; close it when done.

        Raises `ConfigError` for an unregistered `delivery_client`, and what the client
        raises for a configuration it refuses (an unsafe URL: `OutboundUrlError`).
        """
        builder = _CLIENTS.get(self.settings.delivery_client)
        if builder is None:
            raise ConfigError(f"no EHR client named {self.settings.delivery_client!r}")
        return builder(config)
