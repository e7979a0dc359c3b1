"""The scaled profile as real processes on one machine, for bench/scaled.py and its CI test.

Two `clinscribe serve` nodes (own data dirs), M `clinscribe worker` processes, one PostgreSQL
database, a private RabbitMQ node and a private S3 server, so every run has a broker and a
store of its own (the queue names are fixed, so sharing a broker would mean sharing jobs) and
both can be stopped and restarted without touching anything else.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import s3server  # noqa: E402

SECRET = "scaled-secret-0123456789-0123456789-0123456789"
PG_ADMIN = os.environ.get("CLINSCRIBE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    return s3server.free_port()


def _stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 20) -> None:
    """Signal a process's whole group (it was started in a session of its own) and reap it."""
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Rabbit:
    """A RabbitMQ node of this run's own: its port, node name and database directory."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.name = f"clinscribe-{uuid.uuid4().hex[:6]}@localhost"
        self.proc: subprocess.Popen[bytes] | None = None
        base.mkdir(parents=True, exist_ok=True)
        (base / "plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        if os.geteuid() == 0:
            # Started as root, the server drops to its own user, which must own the directory.
            for path in [base, *base.rglob("*")]:
                shutil.chown(path, "rabbitmq", "rabbitmq")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self) -> None:
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_PID_FILE": str(self.base / "pid"),
            # As in deploy/compose.yaml: no spinning schedulers on the workers' cores.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "+sbwt none +sbwtdcpu none +sbwtdio none",
        }
        with open(self.base / "server.out", "ab") as out:
            self.proc = subprocess.Popen(
                ["rabbitmq-server"], env=env, stdout=out, stderr=out, start_new_session=True
            )
        s3server.wait_for_port(self.port, timeout=90)

    def stop(self) -> None:
        # The server runs as its own user in a session of its own: signal it by its pid file.
        pid_file = self.base / "pid"
        beam = int(pid_file.read_text().strip()) if pid_file.exists() else 0
        if beam:
            with suppress(ProcessLookupError):
                os.kill(beam, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while Path(f"/proc/{beam}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            with suppress(ProcessLookupError):
                os.kill(beam, signal.SIGKILL)
        if self.proc is not None:
            _stop_group(self.proc, wait=10)
            self.proc = None
        s3server.wait_for_port(self.port, up=False)


@dataclass
class Node:
    """One `clinscribe serve` or `clinscribe worker` process."""

    args: list[str]
    env: dict[str, str]
    log: Path
    port: int = 0
    ready: str = ""  # a line the process logs once it is up (workers serve no health check)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.wait_ready(self.spawn())

    def spawn(self) -> int:
        """Start the process; returns how often its ready line was logged before (for wait)."""
        seen = self._count(self.ready)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "clinscribe.cli", *self.args],
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        return seen

    def wait_ready(self, seen: int) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 120
        while self.port or self.ready:
            if self.port:
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                        return
            elif self._count(self.ready) > seen:
                return
            if time.monotonic() > deadline:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args[0]} exited; see {self.log}")
            time.sleep(0.2)
        if self.port or self.ready:
            raise RuntimeError(f"{self.args[0]} did not start; see {self.log}")

    def _count(self, marker: str) -> int:
        if not marker or not self.log.exists():
            return 0
        return self.log.read_bytes().count(marker.encode())

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            _stop_group(self.proc, sig)
            self.proc = None

    def cpu_seconds(self) -> float:
        """User+system CPU of the running process (Linux /proc), 0 when it is not running."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        with suppress(OSError):
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return 0.0

    def last_job(self) -> str | None:
        """The id of the last job this process logged as started (its JSON log lines)."""
        last = None
        for line in self.log.read_text(errors="replace").splitlines():
            if '"job_started"' in line:
                with suppress(ValueError):
                    last = json.loads(line).get("job_id")
        return last


@dataclass
class Cluster:
    """Everything one run starts; `close()` stops all of it and drops the database."""

    root: Path
    fast_recovery: bool = False
    database: str = field(default_factory=lambda: f"clinscribe_scaled_{uuid.uuid4().hex[:8]}")
    apis: list[Node] = field(default_factory=list)
    workers: list[Node] = field(default_factory=list)
    rabbit: Rabbit | None = None
    s3: s3server.PrivateServer | None = None
    token: str = ""

    @property
    def database_url(self) -> str:
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{self.database}"

    def env(self, data_dir: Path) -> dict[str, str]:
        assert self.rabbit is not None and self.s3 is not None
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "src"),
            "CLINSCRIBE_DATA_DIR": str(data_dir),
            "CLINSCRIBE_DATABASE_URL": self.database_url,
            "CLINSCRIBE_JWT_SECRET": SECRET,
            "CLINSCRIBE_API_KEY_PEPPER": SECRET + "-pepper",
            "CLINSCRIBE_BLIND_INDEX_KEY": SECRET + "-index",
            # Every node must read what another wrote: one key ring for the cluster.
            "CLINSCRIBE_ENCRYPTION_KEYS": json.dumps([f"k1:{self._key}"]),
            "CLINSCRIBE_BROKER": "rabbitmq",
            "CLINSCRIBE_BROKER_URL": self.rabbit.url,
            "CLINSCRIBE_BLOB_URL": f"s3://{self._bucket}/clinscribe",
            "CLINSCRIBE_S3_ENDPOINT_URL": self.s3.endpoint,
            "CLINSCRIBE_S3_ACCESS_KEY": s3server.ACCESS_KEY,
            "CLINSCRIBE_S3_SECRET_KEY": s3server.SECRET_KEY,
            # One ASR thread per worker process: scaling is measured across processes.
            "CLINSCRIBE_ASR_CPU_THREADS": "1",
            # ...and no library-level thread pools (OpenMP/BLAS) behind its back either: with
            # them, four one-thread workers would run eight busy threads on two cores.
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "CLINSCRIBE_STREAM_WARMUP": "false",
            "CLINSCRIBE_RATE_LIMIT_PER_MINUTE": "0",
            "CLINSCRIBE_RATE_LIMIT_IP_PER_MINUTE": "0",
            "CLINSCRIBE_LOG_JSON": "true",
            # The load generator's one token must outlive a full 200 + 50 run of 1, 2, 4 workers.
            "CLINSCRIBE_ACCESS_TOKEN_MINUTES": "240",
        }
        if self.fast_recovery:
            # Faults are injected on purpose: find dead workers' jobs in seconds, not minutes.
            env["CLINSCRIBE_JOB_STALE_SECONDS"] = "8"
            env["CLINSCRIBE_JOB_RESEND_SECONDS"] = "6"
            env["CLINSCRIBE_BROKER_BREAKER_RESET_SECONDS"] = "3"
        return env

    def start(self, apis: int = 2) -> None:
        self._key = base64.b64encode(os.urandom(32)).decode()
        self.rabbit = Rabbit(self.root / "rabbitmq")
        self.rabbit.start()
        self.s3 = s3server.PrivateServer(self.root / "s3")
        self.s3.start()
        self._bucket = s3server.new_bucket(self.s3.endpoint)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        admin = self.env(self.root / "admin")
        self._cli(admin, "db", "upgrade")
        tenant = self._cli(admin, "admin", "create-tenant", "scaled")
        email = f"scaled-{uuid.uuid4().hex[:6]}@example.org"
        self._cli(
            admin,
            "admin",
            "create-user",
            "--tenant",
            tenant,
            "--email",
            email,
            "--role",
            "clinician",
        )
        self.token = self._cli(admin, "admin", "token", "--email", email)
        for i in range(apis):
            port = free_port()
            node = Node(
                ["serve", "--port", str(port)],
                self.env(self.root / f"api{i}"),
                self.root / f"api{i}.log",
                port=port,
            )
            self.apis.append(node)
        # Started side by side: each spends its first seconds importing.
        for node, seen in [(n, n.spawn()) for n in self.apis]:
            node.wait_ready(seen)

    def set_workers(self, count: int) -> None:
        while len(self.workers) > count:
            self.workers.pop().stop()
        new = []
        while len(self.workers) < count:
            i = len(self.workers)
            node = Node(
                ["worker", "--threads", "1"],
                self.env(self.root / f"worker{i}"),
                self.root / f"worker{i}.log",
                ready="worker running on",
            )
            new.append((node, node.spawn()))
            self.workers.append(node)
        for node, seen in new:
            node.wait_ready(seen)

    def restart_s3(self, down_seconds: float) -> None:
        assert self.s3 is not None
        self.s3.stop()
        time.sleep(down_seconds)
        self.s3.start()

    def restart_rabbit(self, down_seconds: float) -> None:
        assert self.rabbit is not None
        self.rabbit.stop()
        time.sleep(down_seconds)
        self.rabbit.start()

    @staticmethod
    def _cli(env: dict[str, str], *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "clinscribe.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""

    def close(self) -> None:
        for node in [*self.workers, *self.apis]:
            with suppress(Exception):
                node.stop()
        for server in (self.s3, self.rabbit):
            if server is not None:
                with suppress(Exception):
                    server.stop()
        with suppress(Exception), psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def scratch_root() -> Path:
    path = Path(tempfile.mkdtemp(prefix="clinscribe-scaled-"))
    path.chmod(0o755)  # the broker's own user must reach its directory inside
    return path
