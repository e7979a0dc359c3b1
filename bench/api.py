"""API throughput and latency: authenticated GET /encounters/{id} and POST /encounters.

Runs a real `clinscribe serve` (uvicorn, one process) on loopback for each database, and drives it
from this process with 1, 8 and 32 concurrent HTTP clients. SQLite and PostgreSQL are measured in
the same run so their ratio is meaningful on a shared, noisy machine.

    python bench/api.py [--seconds 8] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pymysql
from sqlalchemy.engine import make_url

SECRET = "bench-secret-0123456789-0123456789-0123456789"


@dataclass
class Result:
    backend: str
    operation: str
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "CLINSCRIBE_DATA_DIR": str(data_dir),
        "CLINSCRIBE_JWT_SECRET": SECRET,
        "CLINSCRIBE_API_KEY_PEPPER": SECRET,
        # One client address and one token drive all the load: measure the API, not the limiter.
        "CLINSCRIBE_RATE_LIMIT_PER_MINUTE": "0",
        "CLINSCRIBE_RATE_LIMIT_IP_PER_MINUTE": "0",
    }
    if database_url:
        env["CLINSCRIBE_DATABASE_URL"] = database_url
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _seed(env: dict[str, str]) -> tuple[str, str]:
    _cli(env, "db", "upgrade")
    tenant = _cli(env, "admin", "create-tenant", f"bench-{uuid.uuid4().hex[:6]}")
    email = f"bench-{uuid.uuid4().hex[:6]}@example.org"
    _cli(env, "admin", "create-user", "--tenant", tenant, "--email", email, "--role", "clinician")
    return tenant, _cli(env, "admin", "token", "--email", email)


async def _drive(
    client: httpx.AsyncClient, make_request: object, clients: int, seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await make_request(client)  # type: ignore[operator]
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 400:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors


async def _measure(base: str, token: str, backend: str, seconds: float) -> list[Result]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:
        patient = (
            await client.post(
                "/api/v1/patients",
                json={"mrn": uuid.uuid4().hex[:12], "given_name": "Bench", "family_name": "Mark"},
            )
        ).json()
        encounter = (
            await client.post("/api/v1/encounters", json={"patient_id": patient["id"]})
        ).json()

        async def get(c: httpx.AsyncClient) -> httpx.Response:
            return await c.get(f"/api/v1/encounters/{encounter['id']}")

        async def create(c: httpx.AsyncClient) -> httpx.Response:
            return await c.post("/api/v1/encounters", json={"patient_id": patient["id"]})

        results = []
        for operation, make in (("GET /encounters/{id}", get), ("POST /encounters", create)):
            for clients in (1, 8, 32):
                await _drive(client, make, clients, 1.0)  # warm-up
                started = time.perf_counter()
                latencies, errors = await _drive(client, make, clients, seconds)
                elapsed = time.perf_counter() - started
                latencies.sort()
                results.append(
                    Result(
                        backend,
                        operation,
                        clients,
                        len(latencies),
                        errors,
                        elapsed,
                        statistics.median(latencies) * 1000,
                        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                    )
                )
    return results


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "clinscribe.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def run_backend(backend: str, database_url: str | None, port: int, seconds: float) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), database_url)
        _, token = _seed(env)
        server = _serve(env, port)
        try:
            return asyncio.run(_measure(f"http://127.0.0.1:{port}", token, backend, seconds))
        finally:
            server.terminate()
            server.wait(timeout=10)


def _mariadb_admin(server_url: str) -> pymysql.Connection:
    url = make_url(server_url)
    return pymysql.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        autocommit=True,
    )


def run_mariadb(server_url: str, port: int, seconds: float) -> list[Result]:
    """The same cells on a scratch MariaDB database, created and dropped here."""
    name = f"clinscribe_bench_{uuid.uuid4().hex[:6]}"
    with _mariadb_admin(server_url) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin")
    try:
        return run_backend("MariaDB", server_url.rstrip("/") + f"/{name}", port, seconds)
    finally:
        with _mariadb_admin(server_url) as conn, conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _print_pair(results: list[Result], first: str, second: str) -> None:
    print(
        f"| operation | clients | {first} req/s | {first} p50 ms | {first} p99 ms "
        f"| {second} req/s | {second} p50 ms | {second} p99 ms | {second}/{first} throughput |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    a = [r for r in results if r.backend == first]
    b = [r for r in results if r.backend == second]
    for s, p in zip(a, b, strict=True):
        print(
            f"| {s.operation} | {s.clients} | {s.rps:.0f} | {s.p50_ms:.1f} | {s.p99_ms:.1f} "
            f"| {p.rps:.0f} | {p.p50_ms:.1f} | {p.p99_ms:.1f} | {p.rps / s.rps:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per cell")
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL server URL; a scratch database is created and dropped",
    )
    parser.add_argument(
        "--mariadb",
        default=None,
        help="MariaDB server URL (no database); also measure it in a scratch database",
    )
    args = parser.parse_args()

    name = f"clinscribe_bench_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    pg_url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    try:
        results = run_backend("SQLite", None, 8765, args.seconds)
        results += run_backend("PostgreSQL", pg_url, 8766, args.seconds)
        if args.mariadb:
            results += run_mariadb(args.mariadb, 8767, args.seconds)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"{os.cpu_count()} CPUs, one uvicorn process, {args.seconds:.0f} s per cell\n")
    _print_pair(results, "SQLite", "PostgreSQL")
    if args.mariadb:
        print()
        _print_pair(results, "PostgreSQL", "MariaDB")
    errors = sum(r.errors for r in results)
    print(f"\nerrors: {errors}")


if __name__ == "__main__":
    main()
