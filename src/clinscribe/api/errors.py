"""One error shape for every failure: `{"error": code, "detail": message}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clinscribe.errors import ClinscribeError
from clinscribe.fhir.core.capability import operation_outcome
from clinscribe.observability.logging import get_logger

log = get_logger(__name__)
FHIR_PATH = "/fhir/"

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ErrorOut(BaseModel):
    """Every error response: the error's code and a message that never echoes input."""

    error: str
    detail: str


_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not permitted",
    404: "Not found (or another tenant's)",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Not a media type this route takes",
    422: "Validation error, with field paths",
    428: "The edit must name the version it was made on (If-Match)",
    429: "Too many requests; retry after Retry-After",
    502: "An upstream service (LLM, EHR, remote ASR) failed",
    503: "Busy or draining; retry after Retry-After",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these statuses, each with the `{"error", "detail"}` body."""
    return {s: {"model": ErrorOut, "description": _DESCRIPTIONS[s]} for s in statuses}


# What any route may answer; routes add their own (415, 502, 503) with `error_responses`.
ERROR_RESPONSES = error_responses(400, 401, 403, 404, 409, 413, 422)


def error_response(
    status: int, code: str, detail: str, request: Request | None = None, **extra: Any
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if request is not None and request.url.path.startswith(FHIR_PATH):
        # The FHIR API answers in its own error shape, with our code as a coding.
        return JSONResponse(
            operation_outcome(status, code, detail),
            status_code=status,
            headers=headers,
            media_type="application/fhir+json",
        )
    return JSONResponse(
        {"error": code, "detail": detail, **extra}, status_code=status, headers=headers
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for err in exc.errors():
        # Never echo the rejected input back: it may be PHI.
        fields.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return fields


def install(app: FastAPI) -> None:
    @app.exception_handler(ClinscribeError)
    async def _clinscribe(request: Request, exc: ClinscribeError) -> JSONResponse:
        """Any error of the tree, however deep it was raised, with its own code and status."""
        if exc.status_code >= 500:
            # A server fault (or a busy dependency): logged by type and code, never the message.
            (log.error if exc.status_code == 500 else log.warning)(
                "server_error",
                error_type=type(exc).__name__,
                code=exc.code,
                path=request.url.path,
            )
        extra = {k: v for k, v in exc.extra.items() if k not in ("error", "detail")}
        response = error_response(exc.status_code, exc.code, exc.message, request, **extra)
        retry_after = getattr(exc, "retry_after", None)
        if exc.status_code == 503 or retry_after is not None:
            response.headers["Retry-After"] = str(retry_after or 30)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _field_errors(exc)
        if any(f["type"] == "json_invalid" for f in fields):
            return error_response(400, "malformed_json", "request body is not valid JSON", request)
        summary = "; ".join(f"{'.'.join(f['loc'])}: {f['msg']}" for f in fields[:5])
        if request.url.path.startswith(FHIR_PATH):
            return error_response(400, "validation_error", summary or "invalid request", request)
        return error_response(422, "validation_error", summary or "invalid request", fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), request)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # A dependency being down is not a client mistake and not a bug: 503, retry later.
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            log.warning("database_unavailable", error_type=type(exc.orig).__name__)
            response = error_response(
                503, "database_unavailable", "the database is unavailable; retry shortly"
            )
            response.headers["Retry-After"] = "5"
            return response
        log.error("database_error", error_type=type(exc.orig).__name__, route=_route(request))
        return error_response(500, "internal_error", "internal server error", request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_type=type(exc).__name__, route=_route(request))
        return error_response(500, "internal_error", "internal server error", request)


def _route(request: Request) -> str:
    """The route's template (`/api/v1/documents/{document_id}`), never the raw path: a path can
    carry identifiers, and a signed link's path is itself a credential."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))
