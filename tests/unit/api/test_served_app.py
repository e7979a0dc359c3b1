"""The app `clinscribe serve` runs: every router wired in, the stream socket among them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.live import served_app


def test_the_served_app_answers_the_socket_and_the_web_shell(settings: Settings) -> None:
    with TestClient(served_app(settings)) as client:
        assert client.get("/").status_code == 200
        assert client.post("/api/v1/stream/tokens").status_code == 401
        with client.websocket_connect("/api/v1/stream") as ws:
            # No credential: the stream route itself refuses, with its own error message, so
            # the app-wide dependency was solved for a WebSocket and nothing stood in front.
            refused = ws.receive_json()
        assert refused["type"] == "error" and refused["code"] == "unauthorized", refused
