"""The one error tree. Every error renders as `{"error": code, "detail": message}`."""

from __future__ import annotations

from typing import Any


class ClinscribeError(Exception):
    """Base of every error the service reports to a client."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        # More fields of the error body, next to `error` and `detail` (never echoed input).
        self.extra: dict[str, Any] = dict(extra or {})
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


class VersionConflict(Conflict):
    """An edit named a version that is no longer the current one (optimistic concurrency)."""

    status_code = 409
    code = "version_conflict"


class VersionRequired(ClinscribeError):
    """An edit did not name the version it was made on (If-Match or body `version`)."""

    status_code = 428
    code = "version_required"


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


class MfaRequired(Unauthorized):
    """The action needs a second factor confirmed recently (step up, then retry)."""

    status_code = 401
    code = "mfa_required"


class InvalidMfaCode(Unauthorized):
    """The second-factor code (or recovery code) is wrong, reused or malformed."""

    status_code = 401
    code = "invalid_mfa_code"


class MfaEnrolmentRequired(Forbidden):
    """The tenant requires a second factor for this role; only enrolment is open until then."""

    status_code = 403
    code = "mfa_enrolment_required"


class MfaNotEnrolled(Conflict):
    """The user has no confirmed second factor to use or remove."""

    status_code = 409
    code = "mfa_not_enrolled"


class MfaAlreadyEnrolled(Conflict):
    """The user already has a confirmed second factor (remove it first to re-enrol)."""

    status_code = 409
    code = "mfa_already_enrolled"


class SignInLocked(ClinscribeError):
    """Too many failed sign-ins (or second-factor codes) for this account; try again later."""

    status_code = 429
    code = "sign_in_locked"
