"""Security headers, rate limiting and client addresses behind trusted proxies."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import time

import jwt
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinscribe.config import Settings
from clinscribe.errors import RateLimited
from clinscribe.observability.logging import get_logger
from clinscribe.security.api_keys import looks_like_key
from clinscribe.security.ratelimit import Clock, Limiter, MemoryLimiter, RedisLimiter, Window

log = get_logger("clinscribe.http")

EXEMPT = ("/healthz", "/readyz", "/metrics")
# Where an API key's own window is left for the response headers (`scope["state"]`).
KEY_WINDOW = "clinscribe_key_window"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), geolocation=(), microphone=(self)",
    # data: images only: the second-factor enrolment shows its QR code as an SVG data URI
    # (an <img> never runs script, so this opens no way in for code).
    "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'",
}


def client_ip(scope: Scope, trusted: list[str]) -> str:
    """The peer address, or the last untrusted hop of X-Forwarded-For when the peer is a proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted or peer not in trusted:
        return str(peer)
    forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return str(peer)
    return str(peer)


def credential_key(scope: Scope) -> str | None:
    """A bucket for the presented credential, without verifying it (verification comes later)."""
    headers = dict(scope["headers"])
    raw = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        raw = auth[7:].strip()
    if not raw:
        return None
    if looks_like_key(raw):
        return "key:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    try:
        subject = jwt.decode(raw, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        subject = None
    return f"user:{subject}" if isinstance(subject, str) else None


def make_limiter(settings: Settings, *, clock: Clock = time.time) -> Limiter:
    """The configured limiter, counting its windows on `clock`."""
    if settings.rate_limit_backend == "redis":
        return RedisLimiter(settings.redis_url, clock=clock)
    return MemoryLimiter(clock=clock)


def hit_key_limit(scope: Scope, limiter: Limiter, *, key_id: str, limit: int) -> None:
    """Count one request against an API key's own per-minute budget (after the key is verified,
    so the bucket is the key's id); raises RateLimited past it. Its window joins the response's
    X-RateLimit-* headers when it is the tightest."""
    try:
        window = limiter.hit(f"apikey:{key_id}", limit)
    except Exception as exc:  # the limiter's store is down: fail open, loudly (as below)
        log.warning("rate_limiter_unavailable", error_type=type(exc).__name__)
        return
    scope.setdefault("state", {})[KEY_WINDOW] = window
    if window.exceeded:
        raise RateLimited(
            "this API key's requests per minute are used up; slow down", retry_after=window.reset
        )


def _tightest(first: Window | None, second: Window | None) -> Window | None:
    if first is None or (second is not None and second.remaining < first.remaining):
        return second
    return first


class HardeningMiddleware:
    """Adds security headers and X-RateLimit-* to every response; 429 + Retry-After past a limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        limiter: Limiter | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter or make_limiter(settings, clock=clock)
        self.https = settings.profile == "prod"

    def _check(self, scope: Scope) -> Window | None:
        tightest: Window | None = None
        buckets = []
        if self.settings.rate_limit_ip_per_minute:
            ip = client_ip(scope, self.settings.trusted_proxies)
            buckets.append((f"ip:{ip}", self.settings.rate_limit_ip_per_minute))
        credential = credential_key(scope)
        if credential and self.settings.rate_limit_per_minute:
            buckets.append((credential, self.settings.rate_limit_per_minute))
        for key, limit in buckets:
            try:
                window = self.limiter.hit(key, limit)
            except Exception as exc:  # the limiter's store is down: fail open, loudly
                log.warning("rate_limiter_unavailable", error_type=type(exc).__name__)
                return None
            if tightest is None or window.remaining < tightest.remaining:
                tightest = window
        return tightest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        window = None if scope["path"] in EXEMPT else self._check(scope)
        # Made here so routing's copies of the scope share it: a key's window set deep inside
        # (hit_key_limit) is seen when the response starts.
        state = scope.setdefault("state", {})

        def decorate(headers: MutableHeaders) -> None:
            shown = _tightest(window, state.get(KEY_WINDOW))
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            if scope["path"].startswith("/api/"):
                headers.setdefault("cache-control", "no-store")
            if self.https:
                headers.setdefault(
                    "strict-transport-security", "max-age=31536000; includeSubDomains"
                )
            if shown is not None:
                headers["x-ratelimit-limit"] = str(shown.limit)
                headers["x-ratelimit-remaining"] = str(max(0, shown.remaining))
                headers["x-ratelimit-reset"] = str(shown.reset)

        if window is not None and window.exceeded:
            body = json.dumps(
                {"error": "rate_limited", "detail": "too many requests; slow down"}
            ).encode()
            headers = MutableHeaders(
                raw=[
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
            )
            headers["retry-after"] = str(window.reset)
            decorate(headers)
            await send({"type": "http.response.start", "status": 429, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                decorate(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_decorated)
