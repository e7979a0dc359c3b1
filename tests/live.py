"""A real uvicorn server on loopback for tests that need real HTTP clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from clinscribe.api.app import create_app
from clinscribe.config import Settings


def served_app(settings: Settings) -> FastAPI:
    """The app exactly as `clinscribe serve` builds it (the same factory call): the web UI,
    the live-stream WebSocket and the embedded worker, with nothing put in front of them."""
    return create_app(settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    settings: Settings, *, start_worker: bool = False, port: int | None = None
) -> Iterator[str]:
    port = port or free_port()
    config = uvicorn.Config(
        create_app(settings, start_worker=start_worker),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
