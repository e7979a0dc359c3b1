"""The review state machine as a table: every (state x action) pair, through the service and
over HTTP.

States: draft, in_review, approved, rejected, signed. Actions: edit, submit, approve, reject,
sign, amend, and the seed-compatible shortcuts on a transcription (approve, reject, deliver).
Each pair either succeeds and leaves the note in the state the table gives, or is a 409 that
leaves the note as it was. Every action is taken by the person allowed to take it (the
encounter's clinician, or a reviewer), so a refusal here is the state machine's alone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.models import Delivery, Note
from clinscribe.db.session import session_scope
from clinscribe.errors import Conflict
from clinscribe.fhir import service as delivery
from clinscribe.review import service as review
from tests.support import TenantWorld, add_note, add_patient_and_encounter

STATES = ("draft", "in_review", "approved", "rejected", "signed")
CONFLICT = 409

# action -> state -> the state after it, or 409
TABLE: dict[str, dict[str, str | int]] = {
    "edit": {
        "draft": "draft",
        "in_review": CONFLICT,
        "approved": CONFLICT,
        "rejected": "draft",
        "signed": CONFLICT,
    },
    "submit": {
        "draft": "in_review",
        "in_review": CONFLICT,
        "approved": CONFLICT,
        "rejected": CONFLICT,
        "signed": CONFLICT,
    },
    "approve": {
        "draft": CONFLICT,
        "in_review": "approved",
        "approved": CONFLICT,
        "rejected": CONFLICT,
        "signed": CONFLICT,
    },
    "reject": {
        "draft": CONFLICT,
        "in_review": "rejected",
        "approved": "rejected",
        "rejected": CONFLICT,
        "signed": CONFLICT,
    },
    "sign": {
        "draft": CONFLICT,
        "in_review": CONFLICT,
        "approved": "signed",
        "rejected": CONFLICT,
        "signed": CONFLICT,
    },
    "amend": {
        "draft": CONFLICT,
        "in_review": CONFLICT,
        "approved": CONFLICT,
        "rejected": CONFLICT,
        "signed": "draft",
    },
    # The shortcuts imply the submit step, so they also start from a draft.
    "approve_transcription": {
        "draft": "approved",
        "in_review": "approved",
        "approved": CONFLICT,
        "rejected": CONFLICT,
        "signed": CONFLICT,
    },
    "reject_transcription": {
        "draft": "rejected",
        "in_review": "rejected",
        "approved": "rejected",
        "rejected": CONFLICT,
        "signed": CONFLICT,
    },
    # Delivery sends the signed version and leaves the state alone.
    "deliver_transcription": {
        "draft": CONFLICT,
        "in_review": CONFLICT,
        "approved": CONFLICT,
        "rejected": CONFLICT,
        "signed": "signed",
    },
}
CASES = [(state, action) for action in TABLE for state in STATES]
PLAN = {"plan": "Recheck in two weeks."}


def test_the_table_covers_every_state_and_action() -> None:
    assert len(TABLE) == 9 and all(set(row) == set(STATES) for row in TABLE.values())


def note_in(settings: Settings, world: TenantWorld, state: str) -> tuple[str, str]:
    """A note on its own encounter, moved to `state` the legal way: (note id, transcript id)."""
    _, encounter_id = add_patient_and_encounter(settings, world)
    if state != "rejected":
        return add_note(settings, world, encounter_id, state)
    note_id, transcript_id = add_note(settings, world, encounter_id, "in_review")
    with session_scope(settings.resolved_database_url) as session:
        review.reject(
            session=session,
            principal=world.principal("reviewer"),
            note_id=note_id,
            reason="Exam missing.",
        )
    return note_id, transcript_id


def status_of(settings: Settings, note_id: str) -> str:
    with session_scope(settings.resolved_database_url) as session:
        note = session.get(Note, note_id)
        assert note is not None
        return note.status


def service_action(
    settings: Settings, world: TenantWorld, action: str, note_id: str, transcript_id: str
) -> Callable[[Session], object]:
    clinician, reviewer = world.principal("clinician"), world.principal("reviewer")

    def by_transcript(session: Session) -> Note:
        note = review.latest_for_transcript(
            session=session, principal=reviewer, transcript_id=transcript_id
        )
        assert note is not None and note.id == note_id
        return note

    actions: dict[str, Callable[[Session], object]] = {
        "edit": lambda s: review.edit(
            session=s, principal=clinician, note_id=note_id, sections=PLAN, reason=None
        ),
        "submit": lambda s: review.submit(session=s, principal=clinician, note_id=note_id),
        "approve": lambda s: review.approve(session=s, principal=reviewer, note_id=note_id),
        "reject": lambda s: review.reject(
            session=s, principal=reviewer, note_id=note_id, reason="Plan unclear."
        ),
        "sign": lambda s: review.sign(session=s, principal=clinician, note_id=note_id),
        "amend": lambda s: review.amend(
            session=s, principal=clinician, note_id=note_id, sections=PLAN, reason="lab result"
        ),
        "approve_transcription": lambda s: review.approve_shortcut(
            session=s, principal=reviewer, note=by_transcript(s)
        ),
        "reject_transcription": lambda s: review.reject_shortcut(
            session=s, principal=reviewer, note=by_transcript(s), reason="Plan unclear."
        ),
        "deliver_transcription": lambda s: delivery.deliver_now(
            session=s, settings=settings, principal=reviewer, note_id=by_transcript(s).id
        ),
    }
    return actions[action]


@pytest.mark.parametrize(("state", "action"), CASES)
def test_each_state_and_action_through_the_service(
    settings: Settings, tenant_a: TenantWorld, state: str, action: str
) -> None:
    note_id, transcript_id = note_in(settings, tenant_a, state)
    assert status_of(settings, note_id) == state
    run = service_action(settings, tenant_a, action, note_id, transcript_id)
    expected = TABLE[action][state]
    if expected == CONFLICT:
        with pytest.raises(Conflict) as refused, session_scope(settings.resolved_database_url) as s:
            run(s)
        assert refused.value.status_code == 409
        assert status_of(settings, note_id) == state
        return
    with session_scope(settings.resolved_database_url) as session:
        run(session)
    assert status_of(settings, note_id) == expected
    if action == "deliver_transcription":
        with session_scope(settings.resolved_database_url) as session:
            queued = session.execute(select(Delivery).where(Delivery.note_id == note_id))
            assert [d.status for d in queued.scalars()] == ["pending"]


def http_action(
    client: TestClient, world: TenantWorld, action: str, note_id: str, transcript_id: str
) -> tuple[int, int]:
    """Take `action` over HTTP: (status code, the code a success answers with)."""
    clin, rev = world.auth("clinician"), world.auth("reviewer")
    note, shortcut = f"/api/v1/notes/{note_id}", f"/api/v1/transcriptions/{transcript_id}"
    reason = {"reason": "Plan unclear."}
    if action == "edit":
        return client.patch(note, json={"sections": PLAN}, headers=clin).status_code, 200
    if action == "amend":
        body = {"sections": PLAN, "reason": "lab result"}
        return client.post(f"{note}/amend", json=body, headers=clin).status_code, 200
    if action == "reject":
        return client.post(f"{note}/reject", json=reason, headers=rev).status_code, 200
    if action in ("submit", "sign"):
        return client.post(f"{note}/{action}", headers=clin).status_code, 200
    if action == "approve":
        return client.post(f"{note}/approve", headers=rev).status_code, 200
    if action == "approve_transcription":
        return client.post(f"{shortcut}/approve", headers=rev).status_code, 200
    if action == "reject_transcription":
        return client.post(f"{shortcut}/reject", json=reason, headers=rev).status_code, 200
    assert action == "deliver_transcription"
    return client.post(f"{shortcut}/deliver", headers=rev).status_code, 202


@pytest.mark.parametrize(("state", "action"), CASES)
def test_each_state_and_action_over_http(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, state: str, action: str
) -> None:
    note_id, transcript_id = note_in(settings, tenant_a, state)
    code, success = http_action(client, tenant_a, action, note_id, transcript_id)
    expected = TABLE[action][state]
    assert code == (CONFLICT if expected == CONFLICT else success), (state, action, code)
    read = client.get(f"/api/v1/notes/{note_id}", headers=tenant_a.auth("reviewer")).json()
    assert read["status"] == (state if expected == CONFLICT else expected)
