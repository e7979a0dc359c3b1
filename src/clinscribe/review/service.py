"""Note versions and the review state machine: draft → in_review → approved | rejected → signed.

Versions are immutable; every edit or re-draft adds one with its author and a diff. A signed
note can be amended: the amendment is a new version that, once signed, replaces the old one
in the EHR. Every transition is audited.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.base import utcnow
from clinscribe.db.models import Encounter, Note, NoteVersion, Tenant
from clinscribe.errors import Conflict, Forbidden, NotFound, Unprocessable
from clinscribe.notes import core as notes
from clinscribe.records import encounters
from clinscribe.review import conflicts
from clinscribe.review import decisions as facts
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable

EDITABLE = ("draft", "rejected")


def _audit(session: Session, principal: Principal, action: str, note: Note) -> None:
    audit.record(
        session, action=f"note.{action}", principal=principal, object_type="note", object_id=note.id
    )


def _add_version(
    session: Session,
    note: Note,
    content: notes.NoteContent,
    author: str | None,
    reason: str | None,
) -> NoteVersion:
    previous = current_version(session=session, note=note) if note.current_version else None
    number = (previous.version + 1) if previous else 1
    diff = None
    if previous is not None:
        diff = "".join(
            difflib.unified_diff(
                _diff_source(content_of(previous)),
                _diff_source(content),
                fromfile=f"v{previous.version}",
                tofile=f"v{number}",
            )
        )
    version = NoteVersion(
        note_id=note.id,
        version=number,
        author_id=author,
        reason=reason,
        content_json=content.to_json(),
        text=content.text,
        diff=diff,
    )
    session.add(version)
    note.current_version = number
    session.flush()
    return version


def _diff_source(content: notes.NoteContent) -> list[str]:
    """The note text, then the clinician's fact decisions, as lines to diff."""
    lines = content.text.splitlines(keepends=True)
    decided = facts.summary(content)
    if decided:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines += ["\n", "REVIEWED FACTS\n", *(f"{line}\n" for line in decided)]
    return lines


def store_draft(
    *,
    session: Session,
    principal: Principal,
    encounter_id: str,
    transcript_id: str | None,
    template_key: str,
    drafted: notes.Note,
) -> Note:
    """Keep a fresh draft: a new version of the open draft for this template, or a new note."""
    note = session.execute(
        readable(Note, principal)
        .where(
            Note.encounter_id == encounter_id,
            Note.template_key == template_key,
            Note.status.in_(EDITABLE),
        )
        .order_by(Note.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    created = note is None
    if note is None:
        note = Note(
            tenant_id=principal.tenant_id,
            encounter_id=encounter_id,
            transcript_id=transcript_id,
            template_key=template_key,
            status="draft",
            current_version=0,
            created_by=principal.actor_id,
        )
        session.add(note)
        session.flush()
    content = notes.NoteContent.from_note(drafted)
    reason = "drafted"
    if not created and note.current_version:
        # A re-draft keeps the clinician's accept/remove decisions on facts it finds again.
        previous = content_of(current_version(session=session, note=note))
        kept = facts.carry(previous, content)
        if kept:
            reason = f"drafted; kept {len(kept)} fact decision{'s' if len(kept) > 1 else ''}"
    note.transcript_id = transcript_id
    note.status = "draft"
    _add_version(session, note, content, principal.actor_id, reason)
    _audit(session, principal, "draft" if created else "redraft", note)
    return note


def get(*, session: Session, principal: Principal, note_id: str, audit_read: bool = True) -> Note:
    """A note whose encounter the caller may see (others' look absent)."""
    principal.require("notes:read")
    note = get_readable(session, Note, note_id, principal, what="note")
    if audit_read:
        _audit(session, principal, "read", note)
    return note


def content_of(version: NoteVersion) -> notes.NoteContent:
    """The typed content of a stored version."""
    return notes.NoteContent.from_json(version.content_json)


def current_version(*, session: Session, note: Note) -> NoteVersion:
    version = session.execute(
        select(NoteVersion).where(
            NoteVersion.note_id == note.id, NoteVersion.version == note.current_version
        )
    ).scalar_one_or_none()
    if version is None:
        raise NotFound("note has no content")
    return version


def versions(*, session: Session, principal: Principal, note_id: str) -> Sequence[NoteVersion]:
    note = get(session=session, principal=principal, note_id=note_id)
    return (
        session.execute(
            select(NoteVersion).where(NoteVersion.note_id == note.id).order_by(NoteVersion.version)
        )
        .scalars()
        .all()
    )


def list_for_encounter(
    *, session: Session, principal: Principal, encounter_id: str
) -> Sequence[Note]:
    principal.require("notes:read")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    return (
        session.execute(
            readable(Note, principal)
            .where(Note.encounter_id == encounter_id)
            .order_by(Note.created_at)
        )
        .scalars()
        .all()
    )


def _require_author(session: Session, principal: Principal, note: Note) -> Encounter:
    """Clinicians act on their own encounters' notes; no one else edits or signs."""
    encounter = session.get(Encounter, note.encounter_id)
    assert encounter is not None
    if principal.role != "clinician" or principal.user_id != encounter.clinician_id:
        raise Forbidden("only the encounter's clinician may do this")
    return encounter


def _require_editor(principal: Principal, note: Note) -> None:
    """A draft is co-edited by the clinicians who can see it (the encounter's own, and those
    who see all encounters); submitting and signing stay with the encounter's clinician."""
    if principal.role != "clinician":
        raise Forbidden("only a clinician may edit a note")


def edit(
    *,
    session: Session,
    principal: Principal,
    note_id: str,
    sections: dict[str, str],
    reason: str | None,
    decisions: dict[str, facts.Decision] | None = None,
    expected_version: int | None = None,
    require_version: bool = False,
) -> Note:
    """A new version with the given section texts and fact decisions (accept/remove).

    An edited rejected note returns to draft. `expected_version` is the version the edit was
    made on: a stale one is a 409 carrying the current content and a diff (`conflicts`).
    """
    principal.require("notes:write")
    note = get(session=session, principal=principal, note_id=note_id, audit_read=False)
    _require_editor(principal, note)
    if note.status not in EDITABLE:
        raise Conflict(f"a {note.status} note cannot be edited (amend a signed note instead)")
    conflicts.claim(
        session=session,
        note=note,
        expected=expected_version,
        required=require_version,
        sections=sections,
    )
    current = content_of(current_version(session=session, note=note))
    unknown = sorted(set(sections) - {s.key for s in current.sections})
    if unknown:
        raise Unprocessable(f"unknown section keys: {', '.join(unknown)}")
    content = current.revised(sections)
    changed = facts.apply(content, decisions) if decisions else []
    if not reason:
        reason = "; ".join(changed)[:500] if changed else "edited"
    _add_version(session, note, content, principal.actor_id, reason)
    note.status = "draft"
    note.rejected_reason = None
    _audit(session, principal, "edit", note)
    return note


def _transition(note: Note, allowed: tuple[str, ...], target: str) -> None:
    if note.status not in allowed:
        raise Conflict(f"cannot move a {note.status} note to {target}")
    note.status = target


def submit(*, session: Session, principal: Principal, note_id: str) -> Note:
    principal.require("notes:write")
    note = get(session=session, principal=principal, note_id=note_id, audit_read=False)
    _require_author(session, principal, note)
    _transition(note, ("draft",), "in_review")
    note.submitted_by = principal.actor_id
    _audit(session, principal, "submit", note)
    return note


def _require_reviewer(session: Session, principal: Principal, note: Note) -> None:
    if principal.role == "reviewer":
        return
    encounter = session.get(Encounter, note.encounter_id)
    tenant = session.get(Tenant, note.tenant_id)
    own = (
        principal.role == "clinician"
        and encounter is not None
        and encounter.clinician_id == principal.user_id
    )
    if own and tenant is not None and tenant.allow_self_approval:
        return
    raise Forbidden("approving needs a reviewer (or self-approval allowed by the tenant)")


def approve(*, session: Session, principal: Principal, note_id: str) -> Note:
    principal.require("notes:review")
    note = get(session=session, principal=principal, note_id=note_id, audit_read=False)
    _require_reviewer(session, principal, note)
    _transition(note, ("in_review",), "approved")
    note.approved_by = principal.actor_id
    _audit(session, principal, "approve", note)
    return note


def reject(*, session: Session, principal: Principal, note_id: str, reason: str) -> Note:
    principal.require("notes:review")
    note = get(session=session, principal=principal, note_id=note_id, audit_read=False)
    _require_reviewer(session, principal, note)
    if not reason.strip():
        raise Unprocessable("a rejection needs a reason")
    _transition(note, ("in_review", "approved"), "rejected")
    note.rejected_reason = reason.strip()[:2000]
    _audit(session, principal, "reject", note)
    return note


def sign(*, session: Session, principal: Principal, note_id: str) -> Note:
    """Sign the approved version: who, when, and the SHA-256 of exactly what was signed.

    What is signed is the version's stored content — its sections, the text rendered from them
    by `notes.render_text`, and the extracted facts the clinician accepted — so
    `signed_sha256 == content_sha256(version)`; `signature_holds` checks it later.
    """
    principal.require("notes:write")
    note = get(session=session, principal=principal, note_id=note_id, audit_read=False)
    _require_author(session, principal, note)
    _transition(note, ("approved",), "signed")
    version = current_version(session=session, note=note)
    note.signed_by = principal.actor_id
    note.signed_at = utcnow()
    note.signed_version = version.version
    note.signed_sha256 = content_sha256(version)
    _audit(session, principal, "sign", note)
    return note


def content_sha256(version: NoteVersion) -> str:
    """SHA-256 (hex) of a version's stored content JSON: text, sections and facts alike."""
    return hashlib.sha256(version.content_json.encode()).hexdigest()


def signature_holds(*, note: Note, version: NoteVersion) -> bool | None:
    """Whether `version` is still exactly what its signer signed.

    None when no signature on record covers `version` (it was never signed, or an amendment's
    signature has since replaced its own). The FHIR mapping refuses a version whose signature
    does not hold, so content changed after signing never reaches the EHR.
    """
    if note.signed_sha256 is None or note.signed_version != version.version:
        return None
    return hmac.compare_digest(note.signed_sha256, content_sha256(version))


def amend(
    *,
    session: Session,
    principal: Principal,
    note_id: str,
    sections: dict[str, str],
    reason: str,
    decisions: dict[str, facts.Decision] | None = None,
    expected_version: int | None = None,
    require_version: bool = False,
) -> Note:
    """Amend a signed note: a new version in draft that will replace the signed one in the EHR."""
    principal.require("notes:write")
    note = get(session=session, principal=principal, note_id=note_id, audit_read=False)
    _require_author(session, principal, note)
    if note.status != "signed":
        raise Conflict("only a signed note can be amended")
    if not reason.strip():
        raise Unprocessable("an amendment needs a reason")
    note.replaces_version = note.signed_version
    note.status = "draft"
    note.approved_by = None
    _audit(session, principal, "amend", note)
    return edit(
        session=session,
        principal=principal,
        note_id=note_id,
        sections=sections,
        reason=f"amendment: {reason}",
        decisions=decisions,
        expected_version=expected_version,
        require_version=require_version,
    )


def latest_for_transcript(
    *, session: Session, principal: Principal, transcript_id: str
) -> Note | None:
    principal.require("notes:read")
    return session.execute(
        readable(Note, principal)
        .where(Note.transcript_id == transcript_id)
        .order_by(Note.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def approve_shortcut(*, session: Session, principal: Principal, note: Note) -> Note:
    """Approve from draft or in_review (the submit step is implied)."""
    if note.status == "draft":
        _require_reviewer(session, principal, note)
        note.status = "in_review"
        note.submitted_by = note.submitted_by or principal.actor_id
    return approve(session=session, principal=principal, note_id=note.id)


def reject_shortcut(*, session: Session, principal: Principal, note: Note, reason: str) -> Note:
    """Reject from draft or in_review (the submit step is implied)."""
    if note.status == "draft":
        _require_reviewer(session, principal, note)
        note.status = "in_review"
    return reject(session=session, principal=principal, note_id=note.id, reason=reason)
