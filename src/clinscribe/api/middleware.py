"""ASGI middleware: request ids, body-size limits, metrics and access logs."""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinscribe.errors import PayloadTooLarge
from clinscribe.observability.context import request_id_var
from clinscribe.observability.logging import get_logger
from clinscribe.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = get_logger("clinscribe.http")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


ROUTE_KEY = "clinscribe.route"


def route_template(scope: Scope) -> str:
    """The matched route's full path template (never the raw path: ids would explode labels)."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    noted = scope.get(ROUTE_KEY, {}).get("template")
    return noted if isinstance(noted, str) else "unmatched"


def note_route(scope: Scope) -> None:
    """Called inside routing, where the template is known; routing may copy the scope, but
    the holder dict is shared, so the middleware sees the value afterwards."""
    holder = scope.get(ROUTE_KEY)
    if holder is not None:
        holder["template"] = route_template(scope)


class _BodyTooLarge(HTTPException, PayloadTooLarge):
    """Raised from `receive`; FastAPI re-raises HTTPExceptions from body parsing untouched.

    HTTPException comes first on purpose: FastAPI only lets those through body parsing (any
    other error becomes a 400), and its handler renders it as `payload_too_large` anyway.
    """

    status_code = 413
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        message = f"request body exceeds {limit} bytes"
        super().__init__(status_code=413, detail=message)
        self.message = message  # HTTPException's __init__ does not reach ClinscribeError's


async def _send_error(send: Send, status: int, code: str, detail: str, request_id: str) -> None:
    body = json.dumps({"error": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Assigns the request id, enforces the body limit, and records metrics per route template."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_limits: dict[str, int] | None = None
    ):
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Path patterns (uploads, text intake) that accept more than the JSON default.
        self.body_limits = [(re.compile(p), limit) for p, limit in (body_limits or {}).items()]

    def _limit_for(self, path: str) -> int:
        for pattern, limit in self.body_limits:
            if pattern.match(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope[ROUTE_KEY] = {}
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        status_holder = {"status": 500}
        limit = self._limit_for(scope["path"])

        declared = dict(scope["headers"]).get(b"content-length")
        try:
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                status_holder["status"] = 413
                await _send_error(
                    send,
                    413,
                    "payload_too_large",
                    f"request body exceeds {limit} bytes",
                    request_id,
                )
                return

            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(limit)
                return message

            started = False

            async def send_with_id(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    status_holder["status"] = message["status"]
                    headers = [
                        h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"
                    ]
                    headers.append((b"x-request-id", request_id.encode()))
                    message["headers"] = headers
                await send(message)

            try:
                await self.app(scope, limited_receive, send_with_id)
            except _BodyTooLarge:
                status_holder["status"] = 413
                if not started:
                    await _send_error(
                        send,
                        413,
                        "payload_too_large",
                        f"request body exceeds {limit} bytes",
                        request_id,
                    )
        finally:
            template = route_template(scope)
            elapsed = time.perf_counter() - start
            HTTP_REQUESTS.labels(scope["method"], template, str(status_holder["status"])).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                route=template,
                status=status_holder["status"],
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)
