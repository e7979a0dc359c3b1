"""The S3-compatible server the blob tests and the benchmark use.

CI starts one on 127.0.0.1:8333 (scripts/s3-server.sh); tests that restart a server start a
private one of their own from the same install, so the shared one is never stopped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ENDPOINT = os.environ.get("CLINSCRIBE_TEST_S3", "http://127.0.0.1:8333")
ACCESS_KEY = os.environ.get("CLINSCRIBE_TEST_S3_ACCESS_KEY", "S3RVER")
SECRET_KEY = os.environ.get("CLINSCRIBE_TEST_S3_SECRET_KEY", "S3RVER")
S3RVER_HOME = Path(
    os.environ.get(
        "S3RVER_HOME",
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "clinscribe" / "s3rver",
    )
)


def client(endpoint: str = ENDPOINT) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


def new_bucket(endpoint: str = ENDPOINT) -> str:
    name = f"cs-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, up: bool = True, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} did not come {'up' if up else 'down'}")


class PrivateServer:
    """An S3 server of this test's own, on a free port, over a directory it keeps."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = S3RVER_HOME / "node_modules" / ".bin" / "s3rver"
        self.directory.mkdir(parents=True, exist_ok=True)
        args = ["-d", str(self.directory), "-a", "127.0.0.1", "-p", str(self.port), "--silent"]
        self.process = subprocess.Popen(
            [str(binary), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        wait_for_port(self.port, up=False)
