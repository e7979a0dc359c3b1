"""A note's presence and updates cross API nodes through the real Redis."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.collab.hub import Participant, RedisHub
from clinscribe.config import Settings
from tests.integration.conftest import REDIS_URL
from tests.support import TenantWorld, add_co_clinician, add_note


@pytest.mark.timeout(120)
def test_participants_on_two_nodes_see_each_other_and_each_others_saves(
    pg_settings: Settings, pg_a: TenantWorld
) -> None:
    shared = pg_settings.model_copy(update={"rate_limit_backend": "redis", "redis_url": REDIS_URL})
    note_id, _ = add_note(shared, pg_a, pg_a.encounter_id)
    add_co_clinician(shared, pg_a, "Dr Node Two")
    url = f"/api/v1/notes/{note_id}/live"
    with (
        TestClient(create_app(shared, start_worker=False)) as one,
        TestClient(create_app(shared, start_worker=False)) as two,
        one.websocket_connect(url, headers=pg_a.auth("clinician")) as a,
    ):
        first = a.receive_json()
        assert first["type"] == "welcome" and len(first["participants"]) == 1
        assert a.receive_json()["type"] == "joined"
        with two.websocket_connect(url, headers=pg_a.auth("co_clinician")) as b:
            second = b.receive_json()
            assert second["type"] == "welcome"
            assert {p["connection"] for p in second["participants"]} == {
                first["connection"],
                second["connection"],
            }
            joined = a.receive_json()  # told on node one, of an arrival on node two
            assert joined["type"] == "joined" and joined["participant"]["name"] == "Dr Node Two"
            assert b.receive_json()["type"] == "joined"
            saved = two.patch(
                f"/api/v1/notes/{note_id}",
                json={"sections": {"plan": "Rest."}, "version": 1},
                headers=pg_a.auth("co_clinician"),
            )
            assert saved.status_code == 200, saved.text
            updated = a.receive_json()
            assert updated["type"] == "updated" and updated["version"] == 2
            assert updated["by"]["name"] == "Dr Node Two" and updated["sections"] == ["plan"]
            assert b.receive_json()["type"] == "updated"
        left = a.receive_json()
        assert left["type"] == "left" and left["connection"] == second["connection"]


def test_a_participant_whose_node_died_times_out_and_is_announced_once() -> None:
    now = [5000.0]
    hub = RedisHub(REDIS_URL, timeout=30, clock=lambda: now[0])
    key = f"test:{uuid.uuid4().hex}"
    hub.join(key, Participant("live", "u1", "Ann", "clinician"))
    hub.join(key, Participant("dead", "u2", "Bob", "reviewer"))
    listener = hub._redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(hub._channel(key))
    now[0] += 20
    assert hub.touch(key, "live", editing=True, version=2) is not None
    now[0] += 15
    other_node = RedisHub(REDIS_URL, timeout=30, clock=lambda: now[0])
    alive = other_node.participants(key)
    assert [(p.connection, p.editing, p.version) for p in alive] == [("live", True, 2)]
    assert hub.participants(key) == alive  # already gone: not announced twice
    messages = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:  # (an ignored subscribe confirmation also reads as None)
        message = listener.get_message(timeout=0.1)
        if message is not None:
            messages.append(message["data"])
    assert messages == [b'{"type": "left", "connection": "dead", "reason": "timeout"}']
    assert hub.leave(key, "live") and hub.participants(key) == []
    listener.close()
