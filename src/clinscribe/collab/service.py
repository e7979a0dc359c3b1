"""Live collaboration on a note: who may join its channel, as whom, and the update events.

The channel (`/api/v1/notes/{id}/live`) carries presence (joined / left / editing, with the
version each participant edits) and change notifications (`updated` to version N by X, with
the sections that changed). The hub holds presence; this module decides what goes into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.collab.hub import Participant, PresenceHub
from clinscribe.db.models import Note, NoteVersion, User
from clinscribe.db.session import after_commit
from clinscribe.observability.logging import get_logger
from clinscribe.review import service as review
from clinscribe.security.principal import Principal

log = get_logger(__name__)


@dataclass(frozen=True)
class Channel:
    """A caller's seat on one note's channel."""

    key: str
    note_id: str
    version: int
    status: str
    name: str
    role: str


def channel_key(tenant_id: str, note_id: str) -> str:
    """Hub keys carry the tenant, so equal ids of two tenants can never share a channel."""
    return f"{tenant_id}:{note_id}"


def open_channel(*, session: Session, principal: Principal, note_id: str) -> Channel:
    """The note's channel for a caller who may read the note (another tenant's: NotFound)."""
    note = review.get(session=session, principal=principal, note_id=note_id)
    return Channel(
        key=channel_key(note.tenant_id, note.id),
        note_id=note.id,
        version=note.current_version,
        status=note.status,
        name=display_name(session, principal),
        role=principal.role or principal.kind,
    )


def display_name(session: Session, principal: Principal) -> str:
    """A user's full name, else their sign-in email; an API key shows as its kind."""
    # The caller's own user row (its id comes from the verified credential).
    user = session.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        return "API client" if principal.kind == "api_key" else principal.kind
    return user.full_name or user.email


def participant(channel: Channel, principal: Principal, connection: str) -> Participant:
    return Participant(
        connection=connection,
        user_id=principal.user_id or principal.actor_id,
        name=channel.name,
        role=channel.role,
        version=channel.version,
    )


def announce_update(
    *, session: Session, hub: PresenceHub, principal: Principal, note: Note
) -> None:
    """Tell the note's channel about its new version, once (and only if) the edit commits."""
    current = _content(session, note.id, note.current_version)
    previous = _content(session, note.id, note.current_version - 1)
    before = {s["key"]: s.get("text", "") for s in previous.get("sections", [])}
    changed = [
        s["key"] for s in current.get("sections", []) if before.get(s["key"]) != s.get("text", "")
    ]
    facts_changed = current.get("fact_review") != previous.get("fact_review")
    event: dict[str, Any] = {
        "type": "updated",
        "note_id": note.id,
        "version": note.current_version,
        "status": note.status,
        "by": {
            "user_id": principal.user_id or principal.actor_id,
            "name": display_name(session, principal),
            "role": principal.role or principal.kind,
        },
        "sections": changed,
        "facts_changed": facts_changed,
    }
    key = channel_key(note.tenant_id, note.id)
    after_commit(session, lambda: _publish_quietly(hub, key, event))


def _publish_quietly(hub: PresenceHub, key: str, event: dict[str, Any]) -> None:
    # The edit is committed already; a hub that is down must not turn it into an error.
    try:
        hub.publish(key, event)
    except Exception as exc:  # any transport failure: a reload shows the version
        log.warning("collab.publish_failed", error_type=type(exc).__name__)


def _content(session: Session, note_id: str, number: int) -> dict[str, Any]:
    if number < 1:
        return {}
    row = session.execute(
        select(NoteVersion).where(NoteVersion.note_id == note_id, NoteVersion.version == number)
    ).scalar_one_or_none()
    if row is None:
        return {}
    return review.content_of(row).model_dump(mode="json")
