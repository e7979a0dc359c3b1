"""A note's live channel: presence of two clients, change notifications, and refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from clinscribe.api.app import create_app
from clinscribe.collab.hub import MemoryHub, Participant
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import StreamToken
from clinscribe.db.session import session_scope
from clinscribe.streaming.service import token_digest
from tests.support import TenantWorld, add_co_clinician, add_note

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def note_id(settings: Settings, tenant_a: TenantWorld) -> str:
    note_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id)
    return note_id


def rejected(ws: Any) -> tuple[str, int]:
    """The error code sent, and the close code that followed it."""
    error = ws.receive_json()
    assert error["type"] == "error" and error["message"], error
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return error["code"], closed.value.code


def welcome(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = ws.receive_json()
    assert message["type"] == "welcome", message
    return message


@pytest.mark.timeout(60)
def test_two_clients_see_each_other_come_edit_save_and_go(
    settings: Settings, client: TestClient, tenant_a: TenantWorld, note_id: str
) -> None:
    add_co_clinician(settings, tenant_a, "Dr Second")
    url = f"/api/v1/notes/{note_id}/live"
    with client.websocket_connect(url, headers=tenant_a.auth("clinician")) as a:
        first = welcome(a)
        assert first["version"] == 1 and first["status"] == "draft"
        assert [p["connection"] for p in first["participants"]] == [first["connection"]]
        assert a.receive_json()["type"] == "joined"  # its own arrival
        # The second one joins with a one-time token, as a browser would.
        token = client.post(
            f"/api/v1/notes/{note_id}/live/tokens", headers=tenant_a.auth("co_clinician")
        ).json()["token"]
        with client.websocket_connect(f"{url}?token={token}", headers=ORIGIN) as b:
            second = welcome(b)
            names = {p["name"]: p for p in second["participants"]}
            assert set(names) == {"Dr Second", tenant_a.emails["clinician"]}
            assert names["Dr Second"]["role"] == "clinician"
            joined = a.receive_json()
            assert joined["type"] == "joined"
            assert joined["participant"]["connection"] == second["connection"]
            assert joined["participant"]["name"] == "Dr Second"
            assert b.receive_json()["type"] == "joined"

            b.send_json({"type": "editing", "editing": True, "version": 1})
            for ws in (a, b):
                presence = ws.receive_json()
                assert presence["type"] == "presence"
                assert presence["participant"]["editing"] is True
                assert presence["participant"]["version"] == 1
            # Swept out as if by another node after a late heartbeat: the next one puts it back.
            hub = client.app.state.note_hub  # type: ignore[attr-defined]
            assert hub.leave(f"{tenant_a.id}:{note_id}", second["connection"])
            b.send_json({"type": "heartbeat"})
            for ws in (a, b):
                back = ws.receive_json()
                assert back["type"] == "joined" and back["participant"]["editing"] is True
                assert back["participant"]["connection"] == second["connection"]

            saved = client.patch(
                f"/api/v1/notes/{note_id}",
                json={"sections": {"plan": "Rest and fluids."}},
                headers={**tenant_a.auth("clinician"), "If-Match": '"1"'},
            )
            assert saved.status_code == 200, saved.text
            for ws in (a, b):
                updated = ws.receive_json()
                assert updated["type"] == "updated" and updated["version"] == 2
                assert updated["sections"] == ["plan"] and updated["facts_changed"] is False
                assert updated["by"]["name"] == tenant_a.emails["clinician"]
            # A refused (stale) edit announces nothing: the next event is B leaving.
            stale = client.patch(
                f"/api/v1/notes/{note_id}",
                json={"sections": {"plan": "x"}, "version": 1},
                headers=tenant_a.auth("co_clinician"),
            )
            assert stale.status_code == 409
        left = a.receive_json()
        assert left == {"type": "left", "connection": second["connection"], "reason": "closed"}


@pytest.mark.timeout(60)
def test_bad_credentials_notes_and_messages_close_with_clear_codes(
    settings: Settings,
    client: TestClient,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    note_id: str,
) -> None:
    url = f"/api/v1/notes/{note_id}/live"
    clin = tenant_a.auth("clinician")
    with client.websocket_connect(url) as ws:
        assert rejected(ws) == ("unauthorized", 4401)
    with client.websocket_connect(url, headers={"Authorization": "Bearer nope"}) as ws:
        assert rejected(ws) == ("unauthorized", 4401)
    # An expired one-time token.
    token = client.post(f"{url}/tokens", headers=clin).json()["token"]
    with session_scope(settings.resolved_database_url) as session:
        session.execute(
            update(StreamToken)
            .where(StreamToken.token_hash == token_digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with client.websocket_connect(f"{url}?token={token}", headers=ORIGIN) as ws:
        assert rejected(ws) == ("unauthorized", 4401)
    # Another tenant's note looks exactly like an unknown one, on the socket and for tokens.
    with client.websocket_connect(url, headers=tenant_b.auth("clinician")) as ws:
        assert rejected(ws) == ("not_found", 4404)
    unknown = "/api/v1/notes/00000000-0000-0000-0000-000000000000/live"
    with client.websocket_connect(unknown, headers=clin) as ws:
        assert rejected(ws) == ("not_found", 4404)
    assert client.post(f"{url}/tokens", headers=tenant_b.auth("clinician")).status_code == 404
    # Messages: not JSON, not an object, binary, unknown, malformed, oversized.
    for send, expected in (
        (lambda ws: ws.send_text("hello"), ("bad_message", 4400)),
        (lambda ws: ws.send_text("[1, 2]"), ("bad_message", 4400)),
        (lambda ws: ws.send_bytes(b"\x00\x01"), ("bad_message", 4400)),
        (lambda ws: ws.send_json({"type": "shout"}), ("bad_message", 4400)),
        (lambda ws: ws.send_json({"type": "editing", "editing": "yes"}), ("bad_message", 4400)),
        (lambda ws: ws.send_text("x" * 5000), ("message_too_large", 4413)),
    ):
        with client.websocket_connect(url, headers=clin) as ws:
            welcome(ws)
            assert ws.receive_json()["type"] == "joined"
            send(ws)
            assert rejected(ws) == expected


@pytest.mark.timeout(60)
def test_a_silent_client_is_closed_after_the_presence_timeout(
    settings: Settings, tenant_a: TenantWorld, note_id: str
) -> None:
    quick = settings.model_copy(update={"note_presence_timeout_seconds": 1.0})
    with TestClient(create_app(quick, start_worker=False)) as client:
        url = f"/api/v1/notes/{note_id}/live"
        with client.websocket_connect(url, headers=tenant_a.auth("clinician")) as ws:
            assert welcome(ws)["heartbeat_seconds"] == pytest.approx(0.3)
            assert ws.receive_json()["type"] == "joined"
            assert rejected(ws) == ("idle_timeout", 4408)


def test_the_memory_hub_drops_participants_who_stop_beating_and_says_so() -> None:
    now = [1000.0]
    hub = MemoryHub(timeout=30, clock=lambda: now[0])
    key = "tenant:note"
    hub.join(key, Participant("c1", "u1", "Ann", "clinician"))
    hub.join(key, Participant("c2", "u2", "Bob", "clinician"))
    now[0] += 20
    assert hub.touch(key, "c1", editing=True, version=3) is not None
    now[0] += 15  # c2 has been silent for 35 s, c1 for 15 s
    alive = hub.participants(key)
    assert [(p.connection, p.editing, p.version) for p in alive] == [("c1", True, 3)]
    assert hub.touch(key, "c2") is None and not hub.leave(key, "c2")
    assert hub.leave(key, "c1") and hub.participants(key) == []
