"""What operators see of live streams: audit rows for refused credentials, and metrics."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent
from clinscribe.db.session import get_sessionmaker
from tests.support import TenantWorld
from tests.unit.streaming.conftest import Received, Speech, collect, send_realtime
from tests.unit.streaming.test_stream_protocol import token_for
from tests.unit.streaming.test_stream_transcription import open_stream

URL = "/api/v1/stream"


def audited(settings: Settings) -> list[tuple[str, str, str | None]]:
    with get_sessionmaker(settings.resolved_database_url)() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.outcome, AuditEvent.tenant_id)
            .where(AuditEvent.action.in_(REJECTIONS))
            .order_by(AuditEvent.id)
        )
        return [(a, o, t) for a, o, t in rows]


REJECTIONS = (
    "auth.rejected",
    "stream.origin_rejected",
    "stream.token_unknown",
    "stream.token_expired",
    "stream.token_reused",
)


def refused(client: TestClient, url: str, headers: dict[str, str] | None = None) -> str:
    with client.websocket_connect(url, headers=headers or {}) as ws:
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    return str(error["code"])


def test_every_refused_websocket_credential_writes_an_audit_event(
    stream_client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    same_origin = {"Origin": "http://testserver"}
    assert refused(stream_client, URL) == "unauthorized"
    assert refused(stream_client, URL, {"Authorization": "Bearer forged"}) == "unauthorized"
    assert refused(stream_client, URL, {"Authorization": "Basic abc"}) == "unauthorized"
    assert refused(stream_client, f"{URL}?token=made-up", same_origin) == "unauthorized"
    token = token_for(stream_client, tenant_a)
    evil = {"Origin": "https://evil.example"}
    assert refused(stream_client, f"{URL}?token={token}", evil) == "origin_not_allowed"
    with stream_client.websocket_connect(f"{URL}?token={token}", headers=same_origin) as ws:
        ws.send_json({"type": "config", "encounter_id": tenant_a.encounter_id})
        assert ws.receive_json()["type"] == "session"
    assert refused(stream_client, f"{URL}?token={token}", same_origin) == "unauthorized"

    assert audited(settings) == [
        ("auth.rejected", "denied", None),
        ("auth.rejected", "denied", None),
        ("auth.rejected", "denied", None),
        ("stream.token_unknown", "denied", None),
        ("stream.origin_rejected", "denied", None),
        ("stream.token_reused", "denied", tenant_a.id),  # a replay names the victim's tenant
    ]


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text output (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = (
        rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? (\S+)$"
        if wanted
        else (rf"^{re.escape(name)} (\S+)$")
    )
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_show_active_streams_latencies_rejections_and_drops(
    live_url: str, tenant_a: TenantWorld, speech: Speech
) -> None:
    base = f"http://{live_url}"

    def scrape() -> str:
        return httpx.get(f"{base}/metrics").text

    before = scrape()

    async def session() -> tuple[float, Received]:
        ws, _ = await open_stream(live_url, tenant_a, speech)
        active = metric(scrape(), "clinscribe_stream_active")
        received = Received()
        reader = asyncio.create_task(collect(ws, received))
        # Real time, as a microphone sends it: partials come while speech goes on, and faster
        # pacing leaves a busy 2-core machine no time for one before the utterance is final.
        await send_realtime(ws, speech.pcm, speech.rate, speed=1.0)
        await ws.send(json.dumps({"type": "stop"}))
        await asyncio.wait_for(reader, 90)
        dropped, _ = await open_stream(live_url, tenant_a, speech)
        dropped.transport.abort()
        anonymous = await websockets.connect(f"ws://{live_url}{URL}")
        await asyncio.wait_for(collect(anonymous, Received()), 10)
        await asyncio.sleep(0.5)
        return active, received

    active, received = asyncio.run(session())
    assert received.of("done") and received.of("partial") and received.of("final")
    after = scrape()

    assert active >= 1
    for name in (
        "clinscribe_stream_partial_latency_seconds_count",
        "clinscribe_stream_final_latency_seconds_count",
    ):
        assert metric(after, name) > metric(before, name), name
    # The dropped session is still held, waiting for its client to resume it.
    assert metric(after, "clinscribe_stream_active") >= 1
    unauthorized = {"code": "unauthorized"}
    assert metric(after, "clinscribe_stream_rejected_total", **unauthorized) == (
        metric(before, "clinscribe_stream_rejected_total", **unauthorized) + 1
    )
    resumable = {"outcome": "resumable"}
    assert metric(after, "clinscribe_stream_dropped_total", **resumable) == (
        metric(before, "clinscribe_stream_dropped_total", **resumable) + 1
    )
