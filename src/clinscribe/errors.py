"""The one error tree. Every error renders as `{"error": code, "detail": message}`."""

from __future__ import annotations


class ClinscribeError(Exception):
    """Base of every error the service reports to a client."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code


class ConfigError(ClinscribeError):
    """The configuration is invalid or unsafe for its profile."""

    status_code = 500
    code = "config_error"


class BadRequest(ClinscribeError):
    """The request is malformed."""

    status_code = 400
    code = "bad_request"


class Unauthorized(ClinscribeError):
    """No valid credentials were presented."""

    status_code = 401
    code = "unauthorized"


class Forbidden(ClinscribeError):
    """The caller is known but may not do this."""

    status_code = 403
    code = "forbidden"


class NotFound(ClinscribeError):
    """The object does not exist or belongs to another tenant."""

    status_code = 404
    code = "not_found"


class Conflict(ClinscribeError):
    """The change conflicts with existing data."""

    status_code = 409
    code = "conflict"


class PayloadTooLarge(ClinscribeError):
    """The request body exceeds the route's limit."""

    status_code = 413
    code = "payload_too_large"


class Unprocessable(ClinscribeError):
    """The request is well-formed but its values are not acceptable."""

    status_code = 422
    code = "validation_error"


class RateLimited(ClinscribeError):
    """Too many requests in the current window; retry after `retry_after` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(ClinscribeError):
    """A dependency is down or the service is draining."""

    status_code = 503
    code = "service_unavailable"
