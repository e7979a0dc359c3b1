"""PostgreSQL restarted under load: 503 with Retry-After while it is down, never a 500, and
nothing the API accepted (2xx) is lost.

The outage is kept to a few seconds: other suites may share the server.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.integration.conftest import PG_ADMIN_URL
from tests.integration.faults import (
    Load,
    assert_nothing_accepted_was_lost,
    assert_only_503_while_failing,
    wait,
)
from tests.support import build_tenant

DOWN_SECONDS = 3.0
WARM_UP_ACCEPTED = 6
RECOVERY_ACCEPTED = 6
RECOVERY_TIMEOUT = 60.0


def _cluster() -> tuple[str, str]:
    """The local cluster (version, name) serving the test database's port."""
    port = str(urlsplit(PG_ADMIN_URL).port or 5432)
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], check=True, capture_output=True, text=True, timeout=30
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if cluster_port == port:
            return version, name
    raise AssertionError(f"no local PostgreSQL cluster on port {port}")


def _ctl(action: str, *extra: str) -> None:
    version, name = _cluster()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action, *extra],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _online() -> bool:
    version, name = _cluster()
    status = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "status"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return status.returncode == 0


@pytest.fixture
def restores_postgres() -> Iterator[None]:
    """Whatever happens in the test, the server is running afterwards."""
    yield
    if not _online():
        _ctl("start")


def test_restarting_postgresql_under_load_answers_503_and_loses_nothing_accepted(
    pg_settings: Settings, restores_postgres: None
) -> None:
    # Rate limits off: the clients retry far faster than any limit allows, on purpose.
    settings = pg_settings.model_copy(
        update={"rate_limit_per_minute": 0, "rate_limit_ip_per_minute": 0}
    )
    world = build_tenant(settings)
    app = create_app(settings, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        load = Load(client, world)
        clients = load.clients()
        for thread in clients:
            thread.start()
        try:
            wait(lambda: load.accepted_since(0) >= WARM_UP_ACCEPTED, 60, "warm-up writes")
            stopping = time.monotonic()
            _ctl("stop", "-m", "fast")
            stopped = time.monotonic()
            time.sleep(DOWN_SECONDS)
            _ctl("start")
            started = time.monotonic()
            wait(
                lambda: load.accepted_since(started) >= RECOVERY_ACCEPTED,
                RECOVERY_TIMEOUT,
                "writes to succeed again after the restart",
            )
        finally:
            load.stop.set()
            for thread in clients:
                thread.join(timeout=60)
    outcomes = list(load.outcomes)
    first_ok = min(o.at for o in outcomes if o.at >= started and 200 <= o.status < 300)

    # While it was down (and while it came up), the answer is 503 with Retry-After: never 500.
    unavailable = assert_only_503_while_failing(outcomes, stopping)
    # Everything accepted before, during and after is in the database.
    assert_nothing_accepted_was_lost(pg_settings, outcomes)
    accepted = [o for o in outcomes if 200 <= o.status < 300]

    figures = {
        "requests": len(outcomes),
        "accepted": len(accepted),
        "503": len(unavailable),
        "500": sum(1 for o in outcomes if o.status == 500),
        "lost": 0,
        "stop_s": round(stopped - stopping, 2),
        "outage_s": round(started - stopped, 2),
        "first_2xx_after_start_s": round(first_ok - started, 2),
    }
    print(f"\npostgres-restart figures: {figures}")
