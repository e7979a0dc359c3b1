"""The FHIR R4 read API at /fhir/R4: metadata, read by id, search (JSON only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.api.routers.recordings import blobs_of
from clinscribe.fhir.core.capability import capability_statement
from clinscribe.fhir.core.codes import FHIR_MIME
from clinscribe.fhir.core.errors import FormatNotSupported
from clinscribe.fhir.server import service, tokens

FHIR_PREFIX = "/fhir/R4"
FHIR_JSON = "application/fhir+json"
_FORMATS = {"json", "application/json", "application/fhir+json", FHIR_MIME}
# What `_format` and Accept may ask for: JSON in any of its spellings.
_ACCEPTABLE = ("json", "*/*", "application/*")

# Errors here are OperationOutcome resources (application/fhir+json), not `{"error", "detail"}`.
_OUTCOMES: dict[int | str, dict[str, Any]] = {
    status: {"description": f"{text} (an OperationOutcome)"}
    for status, text in (
        (400, "Unknown parameter or bad value"),
        (401, "Not authenticated"),
        (403, "No SMART scope grants this"),
        (404, "Not found, another tenant's, or outside the caller's patient"),
        (406, "Only JSON is served"),
    )
}
router = APIRouter(prefix=FHIR_PREFIX, tags=["fhir"], responses=_OUTCOMES)
token_router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"], responses=ERROR_RESPONSES)


class FhirResponse(JSONResponse):
    media_type = "application/fhir+json"


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + FHIR_PREFIX


def _check_format(request: Request) -> None:
    fmt = request.query_params.get("_format")
    # An unescaped '+' in `application/fhir+json` arrives as a space.
    if fmt is not None and fmt.split(";")[0].strip().replace(" ", "+") not in _FORMATS:
        raise FormatNotSupported("only JSON is supported (_format=json)")
    accept = request.headers.get("accept")
    if accept and not any(token in accept for token in _ACCEPTABLE):
        raise FormatNotSupported("only JSON is supported (Accept: application/fhir+json)")


@router.get("/metadata", response_class=FhirResponse)
def metadata(request: Request) -> FhirResponse:
    """The CapabilityStatement: what this server supports (no credentials needed)."""
    _check_format(request)
    base = str(request.base_url).rstrip("/")
    return FhirResponse(
        capability_statement(
            base_url=_base_url(request),
            now=datetime.now(UTC),
            token_url=f"{base}{API_PREFIX}/auth/fhir-token",
        )
    )


async def _form(request: Request) -> list[tuple[str, str]]:
    """The parameters of `POST {Type}/_search`: the query string and the form body."""
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        content_type = request.headers.get("content-type")
        if content_type is None:  # no body: the query string alone
            return pairs
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise FormatNotSupported("_search takes application/x-www-form-urlencoded")
        form = await request.form()
        pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return pairs


Params = Annotated[list[tuple[str, str]], Depends(_form)]


def _search_route(resource_type: str, method: str) -> Any:
    def search(
        request: Request, principal: CurrentPrincipal, session: SessionDep, params: Params
    ) -> FhirResponse:
        _check_format(request)
        lenient = "handling=lenient" in request.headers.get("prefer", "").replace(" ", "")
        bundle = service.search(
            session=session,
            principal=principal,
            resource_type=resource_type,
            params=params,
            base_url=_base_url(request),
            lenient=lenient,
            blobs=blobs_of(request),
        )
        return FhirResponse(bundle)

    search.__name__ = f"search_{resource_type}_{method.lower()}"
    search.__doc__ = f"Search {resource_type} (a searchset Bundle; see /fhir/R4/metadata)."
    return search


for _type in service.RESOURCE_TYPES:
    router.add_api_route(
        f"/{_type}", _search_route(_type, "GET"), methods=["GET"], response_class=FhirResponse
    )
    router.add_api_route(
        f"/{_type}/_search",
        _search_route(_type, "POST"),
        methods=["POST"],
        response_class=FhirResponse,
    )


@router.get("/{resource_type}/{resource_id}", response_class=FhirResponse)
def read(
    resource_type: str,
    resource_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> FhirResponse:
    """Read one resource by type and id (404 when missing, another tenant's or out of scope)."""
    _check_format(request)
    resource = service.read(
        session=session,
        principal=principal,
        resource_type=resource_type,
        resource_id=resource_id,
        blobs=blobs_of(request),
    )
    return FhirResponse(resource)


class FhirTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str = Field(min_length=1, max_length=1000, description="SMART scopes, space-separated.")
    patient: str | None = Field(default=None, max_length=64, description="Launch patient id.")


class FhirTokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str
    patient: str | None = None


@token_router.post("/fhir-token", response_model=FhirTokenResponse)
def fhir_token(
    body: FhirTokenRequest,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> FhirTokenResponse:
    """An access token narrowed to SMART scopes (and a launch patient) for a FHIR app."""
    token, lifetime = tokens.issue(
        session=session,
        settings=settings,
        principal=principal,
        scope=body.scope,
        patient_id=body.patient,
    )
    return FhirTokenResponse(
        access_token=token,
        expires_in=lifetime,
        scope=" ".join(body.scope.split()),
        patient=body.patient,
    )
