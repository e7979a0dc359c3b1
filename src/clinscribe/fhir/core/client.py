"""The EHR client: post a transaction Bundle over httpx and classify the outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from clinscribe.fhir.core.auth import AuthConfig, NoAuth, TokenSource, token_source
from clinscribe.fhir.core.codes import FHIR_MIME
from clinscribe.fhir.core.errors import TokenError, UnsafeUrlError, UrlResolutionError
from clinscribe.fhir.core.results import DeliveryResult
from clinscribe.fhir.core.retry import parse_retry_after
from clinscribe.security.outbound import Resolver, UrlPolicy, system_resolver, validate_outbound_url

# Retrying these cannot help: the server lacks the feature or the HTTP version.
_PERMANENT_5XX = frozenset({501, 505})
_RETRYABLE_4XX = frozenset({408, 425, 429})


class EndpointConfig(BaseModel):
    """One EHR FHIR endpoint: where it is, how to authenticate, and the URL policy."""

    model_config = ConfigDict(frozen=True)

    name: str = "ehr"
    base_url: str
    auth: AuthConfig = Field(default_factory=NoAuth)
    timeout: float = Field(default=30.0, gt=0)
    prod: bool = True  # production: https only
    allow_loopback: bool = False  # tests and local development only
    allow_private: bool = True
    verify_tls: bool = True

    @property
    def url_policy(self) -> UrlPolicy:
        """The SSRF policy for this endpoint's URLs (FHIR base and token endpoint)."""
        return UrlPolicy(
            require_https=self.prod,
            allow_loopback=self.allow_loopback,
            allow_private=self.allow_private,
        )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _locations(body: Any, response: httpx.Response) -> list[str]:
    found: list[str] = []
    if isinstance(body, dict) and body.get("resourceType") == "Bundle":
        for entry in body.get("entry") or []:
            location = (entry.get("response") or {}).get("location")
            if location:
                found.append(str(location))
    if not found and "location" in response.headers:
        found.append(response.headers["location"])
    return found


def classify(response: httpx.Response) -> DeliveryResult:
    """success (2xx), retryable (5xx, 408, 425, 429) or permanent (other statuses)."""
    status = response.status_code
    body = _json(response)
    if 200 <= status < 300:
        return DeliveryResult(
            outcome="success", status_code=status, locations=_locations(body, response)
        )
    outcome = (
        body if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome" else None
    )
    retryable = status in _RETRYABLE_4XX or (status >= 500 and status not in _PERMANENT_5XX)
    if retryable:
        return DeliveryResult(
            outcome="retryable",
            status_code=status,
            reason=f"http {status}",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            operation_outcome=outcome,
        )
    reason = "redirect not followed" if 300 <= status < 400 else f"http {status}"
    return DeliveryResult(
        outcome="permanent", status_code=status, reason=reason, operation_outcome=outcome
    )


class EhrClient(Protocol):
    """What delivery needs from an EHR destination: post one Bundle, then release the client.

    `post_bundle` never raises for delivery failures; it classifies them in the result.
    """

    def post_bundle(self, bundle: dict[str, Any]) -> DeliveryResult: ...

    def close(self) -> None: ...


class FhirClient:
    """Posts transaction Bundles to one EHR endpoint. Thread-safe; reuse one per endpoint."""

    def __init__(
        self,
        config: EndpointConfig,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        resolver: Resolver | None = system_resolver,
    ) -> None:
        self.config = config
        self._resolver = resolver
        # Syntax now, so bad configuration fails at start-up; addresses again on every post.
        validate_outbound_url(config.base_url, config.url_policy, resolver=None)
        self._http = http or httpx.Client(
            timeout=config.timeout, verify=config.verify_tls, follow_redirects=False
        )
        self.tokens: TokenSource = token_source(config.auth, clock=clock, check_url=self._check)

    def _check(self, url: str) -> str:
        return validate_outbound_url(url, self.config.url_policy, resolver=self._resolver)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def post_bundle(self, bundle: dict[str, Any]) -> DeliveryResult:
        """POST the transaction Bundle to the base URL once; never raises for delivery errors."""
        try:
            self._check(self.config.base_url)
            response = self._send(bundle)
            if response.status_code == 401 and self.config.auth.kind != "none":
                # The token may have been revoked or expired early: one fresh try.
                self.tokens.invalidate()
                response = self._send(bundle)
        except UnsafeUrlError as exc:
            return DeliveryResult(outcome="permanent", reason=exc.message)
        except UrlResolutionError as exc:
            return DeliveryResult(outcome="retryable", reason=exc.message)
        except TokenError as exc:
            outcome = "retryable" if exc.retryable else "permanent"
            return DeliveryResult(outcome=outcome, status_code=exc.status, reason=exc.message)
        except httpx.TimeoutException:
            return DeliveryResult(outcome="retryable", reason="timeout")
        except httpx.TransportError as exc:
            return DeliveryResult(outcome="retryable", reason=f"transport: {type(exc).__name__}")
        return classify(response)

    def _send(self, bundle: dict[str, Any]) -> httpx.Response:
        headers = {
            "Content-Type": FHIR_MIME,
            "Accept": "application/fhir+json",
            "Prefer": "return=minimal",
        }
        if (token := self.tokens.token(self._http)) is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self._http.post(self.config.base_url.rstrip("/") + "/", json=bundle, headers=headers)
