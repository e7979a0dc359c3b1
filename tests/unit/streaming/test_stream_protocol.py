"""Protocol conformance of /api/v1/stream: auth, config first, message errors, limits."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from clinscribe.streaming.core.limits import StreamLimits
from tests.support import TenantWorld

URL = "/api/v1/stream"


def config(world: TenantWorld, **extra: Any) -> dict[str, Any]:
    return {
        "type": "config",
        "sample_rate": 16000,
        "encoding": "pcm_s16le",
        "mode": "dictation",
        "encounter_id": world.encounter_id,
        **extra,
    }


def rejected(ws: Any) -> tuple[str, int]:
    """The error code sent, and the close code that followed it."""
    error = ws.receive_json()
    assert error["type"] == "error" and error["message"]
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return error["code"], closed.value.code


def opened(ws: Any, world: TenantWorld, **extra: Any) -> dict[str, Any]:
    ws.send_json(config(world, **extra))
    reply: dict[str, Any] = ws.receive_json()
    assert reply["type"] == "session", reply
    return reply


def test_a_connection_without_credentials_is_closed_with_4401(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL) as ws:
        assert rejected(ws) == ("unauthorized", 4401)


def test_a_bad_bearer_token_is_closed_with_4401(stream_client: TestClient) -> None:
    with stream_client.websocket_connect(URL, headers={"Authorization": "Bearer nope"}) as ws:
        assert rejected(ws) == ("unauthorized", 4401)


def test_the_first_message_must_be_config(stream_client: TestClient, tenant_a: TenantWorld) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        ws.send_json({"type": "stop"})
        assert rejected(ws) == ("bad_message", 4400)


def test_audio_before_config_is_refused(stream_client: TestClient, tenant_a: TenantWorld) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        ws.send_bytes(b"\x00\x00" * 160)
        assert rejected(ws) == ("bad_message", 4400)


def test_a_message_that_is_not_json_is_refused(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        ws.send_text("{not json")
        assert rejected(ws) == ("bad_message", 4400)


def test_an_unsupported_sample_rate_is_refused(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        ws.send_json(config(tenant_a, sample_rate=12345))
        assert rejected(ws) == ("bad_message", 4400)


def test_an_unknown_message_type_after_config_is_refused(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        opened(ws, tenant_a)
        ws.send_json({"type": "dance"})
        assert rejected(ws) == ("bad_message", 4400)


def test_an_oversized_frame_is_closed_with_4413(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        opened(ws, tenant_a)
        ws.send_bytes(b"\x00" * (256 * 1024 + 2))
        assert rejected(ws) == ("frame_too_large", 4413)


def test_another_tenants_encounter_is_closed_with_4404(
    stream_client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        ws.send_json(config(tenant_b))
        assert rejected(ws) == ("not_found", 4404)


def test_a_reviewer_may_not_stream_into_an_encounter(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("reviewer")) as ws:
        ws.send_json(config(tenant_a))
        assert rejected(ws) == ("forbidden", 4403)


def test_a_silent_client_is_closed_with_4408(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    stream_client.app.state.stream_limits = StreamLimits(idle_seconds=0.3)  # type: ignore[attr-defined]
    with stream_client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        assert rejected(ws) == ("idle_timeout", 4408)


def test_sessions_beyond_the_tenant_limit_are_closed_with_4429(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    with (
        stream_client.websocket_connect(URL, headers=headers) as first,
        stream_client.websocket_connect(URL, headers=headers) as second,
        stream_client.websocket_connect(URL, headers=headers) as third,
    ):
        opened(first, tenant_a)
        opened(second, tenant_a)
        third.send_json(config(tenant_a))
        assert rejected(third) == ("too_many_sessions", 4429)


def token_for(client: TestClient, world: TenantWorld) -> str:
    response = client.post("/api/v1/stream/tokens", headers=world.auth("clinician"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["expires_in"] > 0
    return str(body["token"])


def test_a_query_token_works_once_from_the_same_origin(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    token = token_for(stream_client, tenant_a)
    origin = {"Origin": "http://testserver"}
    with stream_client.websocket_connect(f"{URL}?token={token}", headers=origin) as ws:
        opened(ws, tenant_a)
        ws.send_json({"type": "chunk", "data": base64.b64encode(b"\x00\x00" * 1600).decode()})
        ws.send_json({"type": "stop"})
        while (message := ws.receive_json())["type"] != "done":
            assert message["type"] in ("partial", "final")
    with stream_client.websocket_connect(f"{URL}?token={token}", headers=origin) as ws:
        assert rejected(ws) == ("unauthorized", 4401)


def test_a_query_token_from_a_foreign_origin_is_refused(
    stream_client: TestClient, tenant_a: TenantWorld
) -> None:
    token = token_for(stream_client, tenant_a)
    evil = {"Origin": "https://evil.example"}
    with stream_client.websocket_connect(f"{URL}?token={token}", headers=evil) as ws:
        assert rejected(ws) == ("origin_not_allowed", 4403)
    with stream_client.websocket_connect(f"{URL}?token={token}") as ws:
        assert rejected(ws) == ("origin_not_allowed", 4403)


def test_minting_a_token_needs_authentication(stream_client: TestClient) -> None:
    assert stream_client.post("/api/v1/stream/tokens").status_code == 401
