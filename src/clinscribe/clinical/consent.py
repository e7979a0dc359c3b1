"""The ambient-recording consent check the live capture and recording uploads make.

Off by default (`CLINSCRIBE_REQUIRE_RECORDING_CONSENT=false`), so nothing changes for sites that
collect consent elsewhere. When on, recording for an encounter needs the patient's consent
entry of category `ambient-recording` that a clinician accepted (state `active`), whose status
is `active` and whose period covers now; otherwise `ConsentRequired` (403 `consent_required`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clinscribe.clinical import queries
from clinscribe.clinical.errors import ConsentRequired
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Encounter

CATEGORY = "ambient-recording"


def has_recording_consent(
    session: Session, tenant_id: str, patient_id: str, at: datetime | None = None
) -> bool:
    """Whether the patient has an active ambient-recording consent in force at `at` (now)."""
    now = at or utcnow()
    for consent in queries.list_consents(
        session, tenant_id, patient_id=patient_id, status=("active",), categories=(CATEGORY,)
    ):
        if consent.period_start is not None and consent.period_start > now:
            continue
        if consent.period_end is not None and consent.period_end <= now:
            continue
        return True
    return False


def require_recording_consent(
    *, session: Session, settings: Settings, tenant_id: str, encounter_id: str
) -> None:
    """Refuse to record an encounter whose patient has not consented (when the site requires it).

    Call after the caller's access to the encounter was checked (a missing one is theirs to 404).
    """
    if not settings.require_recording_consent:
        return
    encounter = session.get(Encounter, encounter_id)
    if encounter is None or encounter.tenant_id != tenant_id:
        return
    if not has_recording_consent(session, tenant_id, encounter.patient_id):
        raise ConsentRequired(
            "recording needs the patient's active ambient-recording consent on record"
        )
