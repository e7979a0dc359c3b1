"""Optimistic concurrency on note edits: an edit names the version it was made on.

A stale edit is refused with 409 `version_conflict` and never overwrites: the refusal carries
the current version, its content and, per section, a unified diff (`difflib.unified_diff`,
line-based, `fromfile` = the base version, `tofile` = the current one) from what the editor
based the edit on to the current text, so a client can offer a merge and save against the
current version.
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clinscribe.db.models import Note, NoteVersion
from clinscribe.errors import BadRequest, VersionConflict, VersionRequired
from clinscribe.notes import core as notes


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version an edit names: `If-Match` (`"3"`, `W/"3"` or `3`) or the body's `version`.

    A malformed header, or a header and body that disagree, is a 400 (`bad_if_match`).
    """
    if if_match is None:
        return body_version
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise BadIfMatch('If-Match must name one note version, e.g. "3"')
    if body_version is not None and body_version != int(raw):
        raise BadIfMatch("If-Match and the body's version disagree")
    return int(raw)


class BadIfMatch(BadRequest):
    """An `If-Match` header that names no single note version (or contradicts the body)."""

    status_code = 400
    code = "bad_if_match"


def claim(
    *, session: Session, note: Note, expected: int | None, required: bool, sections: dict[str, str]
) -> None:
    """Claim the note's next version for an edit made on `expected` (409 when it moved on).

    With no `expected`, the edit applies to the current version unless `required` (428).
    """
    if expected is None:
        if required:
            raise VersionRequired('name the version you edited (If-Match: "<version>")')
        return
    if expected == note.current_version:
        # Compare-and-set first, so two concurrent edits of one version cannot both win: the
        # loser waits on the row lock, then finds the version moved on.
        claimed = session.execute(
            update(Note)
            .where(Note.id == note.id, Note.current_version == expected)
            .values(current_version=expected)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return
        session.refresh(note)
    raise stale(session=session, note=note, expected=expected, mine=sections)


def stale(*, session: Session, note: Note, expected: int, mine: dict[str, str]) -> VersionConflict:
    """The 409 for an edit made on `expected` while the note is at another version."""
    current = _version(session, note.id, note.current_version)
    base = _version(session, note.id, expected) if expected < note.current_version else None
    current_content = notes.NoteContent.from_json(current.content_json)
    base_content = notes.NoteContent.from_json(base.content_json) if base else None
    extra: dict[str, Any] = {
        "current_version": current.version,
        "base_version": expected if base else None,
        "current": current_content.model_dump(mode="json"),
        "diff_format": "unified diff per section (difflib.unified_diff, base → current)",
        "sections": section_diffs(base_content, current_content, mine, expected, current.version),
    }
    return VersionConflict(
        f"the note is at version {current.version}, not {expected}; merge and save again",
        extra=extra,
    )


def section_diffs(
    base: notes.NoteContent | None,
    current: notes.NoteContent,
    mine: dict[str, str],
    base_version: int,
    current_version: int,
) -> list[dict[str, Any]]:
    """Per section changed since the base: base and current text, the diff, and whether the
    rejected edit changed it too (`conflict`: both sides changed it)."""
    before = {s.key: s.text for s in base.sections} if base else {}
    out = []
    for section in current.sections:
        old = before.get(section.key, "")
        if base is not None and old == section.text:
            continue
        diff = "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                section.text.splitlines(keepends=True),
                fromfile=f"v{base_version}",
                tofile=f"v{current_version}",
            )
        )
        out.append(
            {
                "key": section.key,
                "title": section.title,
                "base": old if base is not None else None,
                "current": section.text,
                "diff": diff,
                "conflict": section.key in mine and mine[section.key] != old,
            }
        )
    return out


def _version(session: Session, note_id: str, number: int) -> NoteVersion:
    return session.execute(
        select(NoteVersion).where(NoteVersion.note_id == note_id, NoteVersion.version == number)
    ).scalar_one()
