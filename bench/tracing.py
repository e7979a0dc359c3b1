"""What tracing costs the API: bench/api.py with tracing off, then on (every span exported over
OTLP/HTTP to a local sink that counts what it receives), in one run so the two compare.

    python bench/tracing.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Sink:
    """An OTLP/HTTP endpoint that accepts and counts export requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sink.requests += 1
                sink.bytes += len(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


def run(seconds: float, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, str(HERE / "api.py"), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    print("## tracing off\n")
    print(run(args.seconds, base))
    sink = Sink()
    print("## tracing on (OTLP/HTTP to a local sink, every span sampled)\n")
    print(run(args.seconds, {**base, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url}))
    print(f"sink received {sink.requests} export requests, {sink.bytes / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
