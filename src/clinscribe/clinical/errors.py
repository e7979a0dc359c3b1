"""Errors of the clinical record."""

from __future__ import annotations

from clinscribe.errors import ClinscribeError, Forbidden, VersionConflict, VersionRequired

__all__ = ["ConsentRequired", "StaleVersion", "UnknownAlert", "VersionRequired"]


class StaleVersion(VersionConflict):
    """An edit named a version of the entry that is no longer its current one."""

    status_code = 409
    code = "version_conflict"


class ConsentRequired(Forbidden):
    """Recording needs the patient's active ambient-recording consent, and there is none."""

    status_code = 403
    code = "consent_required"


class UnknownAlert(ClinscribeError):
    """An acknowledgement named a pair that is not among the patient's current alerts."""

    status_code = 422
    code = "unknown_alert"
