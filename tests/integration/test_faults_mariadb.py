"""MariaDB connections killed mid-request under load: 503 with Retry-After, never a 500,
nothing the API accepted (2xx) is lost, and the audit chain still verifies.

For a few seconds a second connection KILLs every server-side connection of the test database,
idle or inside a request's transaction; the server itself stays up (other suites share it).
"""

from __future__ import annotations

import time

import pymysql
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from clinscribe.api.app import create_app
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from tests.integration.conftest import mariadb_admin
from tests.integration.faults import (
    Load,
    assert_nothing_accepted_was_lost,
    assert_only_503_while_failing,
    wait,
)
from tests.support import build_tenant

KILL_SECONDS = 3.0
WARM_UP_ACCEPTED = 6
RECOVERY_ACCEPTED = 6
RECOVERY_TIMEOUT = 60.0

CONNECTIONS = (
    "SELECT id, id IN (SELECT trx_mysql_thread_id FROM information_schema.innodb_trx) "
    "FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()"
)


def _kill_connections(cursor: pymysql.cursors.Cursor, database: str) -> tuple[int, int]:
    """KILL every connection to `database`: idle ones in the pool (which the pool's ping
    replaces unseen) and those inside a transaction, mid-request. Both counts are returned."""
    cursor.execute(CONNECTIONS, (database,))
    killed = in_transaction = 0
    for thread_id, busy in cursor.fetchall():
        try:
            cursor.execute(f"KILL CONNECTION {int(thread_id)}")
        except pymysql.err.OperationalError:
            continue  # it closed between the query and the KILL
        killed += 1
        in_transaction += int(busy)
    return killed, in_transaction


def test_killing_connections_mid_request_answers_503_and_loses_nothing_accepted(
    mariadb_settings: Settings,
) -> None:
    # Rate limits off: the clients retry far faster than any limit allows, on purpose.
    settings = mariadb_settings.model_copy(
        update={"rate_limit_per_minute": 0, "rate_limit_ip_per_minute": 0}
    )
    database = str(make_url(settings.resolved_database_url).database)
    world = build_tenant(settings)
    app = create_app(settings, start_worker=False)
    killed = mid_request = 0
    with (
        TestClient(app, raise_server_exceptions=False) as client,
        mariadb_admin() as admin,
        admin.cursor() as cursor,
    ):
        load = Load(client, world)
        clients = load.clients()
        for thread in clients:
            thread.start()
        try:
            wait(lambda: load.accepted_since(0) >= WARM_UP_ACCEPTED, 60, "warm-up writes")
            killing = time.monotonic()
            while time.monotonic() - killing < KILL_SECONDS:
                both = _kill_connections(cursor, database)
                killed, mid_request = killed + both[0], mid_request + both[1]
                time.sleep(0.05)
            stopped = time.monotonic()
            wait(
                lambda: load.accepted_since(stopped) >= RECOVERY_ACCEPTED,
                RECOVERY_TIMEOUT,
                "writes to succeed again after the kills",
            )
        finally:
            load.stop.set()
            for thread in clients:
                thread.join(timeout=60)
    outcomes = list(load.outcomes)
    assert mid_request > 0, "no request was caught inside a transaction"

    unavailable = assert_only_503_while_failing(outcomes, killing)
    assert_nothing_accepted_was_lost(settings, outcomes)
    with session_scope(settings.resolved_database_url) as session:
        chain = audit.verify(session)
    assert chain.ok, chain.problem

    accepted = [o for o in outcomes if 200 <= o.status < 300]
    figures = {
        "requests": len(outcomes),
        "accepted": len(accepted),
        "killed": killed,
        "killed_mid_request": mid_request,
        "503": len(unavailable),
        "500": sum(1 for o in outcomes if o.status == 500),
        "lost": 0,
        "accepted_while_killing": sum(1 for o in accepted if killing <= o.at < stopped),
    }
    print(f"\nmariadb-kill figures: {figures}")
