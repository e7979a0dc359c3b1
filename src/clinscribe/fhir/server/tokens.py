"""Narrowed FHIR tokens: a signed-in user asks for an access token limited to SMART scopes and,
for `patient/` scopes, to one patient they may read (the launch context)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinscribe.accounts import auth
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Patient
from clinscribe.errors import Unprocessable
from clinscribe.security import smart
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable


def issue(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    scope: str,
    patient_id: str | None,
) -> tuple[str, int]:
    """An access token for the caller narrowed to `scope` (space-separated SMART scopes)."""
    scopes = scope.split()
    parsed = [smart.parse(s) for s in scopes]
    if not scopes or any(p is None for p in parsed):
        raise Unprocessable("scope must be space-separated SMART scopes such as patient/*.read")
    if any(p is not None and p.level == "patient" for p in parsed) and patient_id is None:
        raise Unprocessable("a patient/ scope needs a patient")
    if patient_id is not None:
        get_readable(session, Patient, patient_id, principal, what="patient")
    token, lifetime = auth.issue_smart_token(
        settings=settings, principal=principal, scope=" ".join(scopes), patient_id=patient_id
    )
    audit.record(
        session,
        action="auth.fhir_token",
        principal=principal,
        object_type="patient" if patient_id else None,
        object_id=patient_id,
    )
    return token, lifetime
