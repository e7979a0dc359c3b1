"""The note review's preview of what signing the note adds to the patient's record."""

from __future__ import annotations

from fastapi import APIRouter

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.clinical import preview

router = APIRouter(prefix=API_PREFIX, tags=["clinical record"], responses=ERROR_RESPONSES)


@router.get("/notes/{note_id}/record-preview", response_model=preview.RecordPreviewRead)
def record_preview(note_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    """The entries signing this note would propose (`record_state` when already recorded)."""
    return preview.preview_note(session=session, principal=principal, note_id=note_id)
