"""Scheduled purges: the worker purges by itself when `retention_purge_hours` is set."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import Encounter
from clinscribe.db.session import session_scope
from clinscribe.jobs.periodic import Periodic
from clinscribe.retention.export import verify
from clinscribe.retention.schedule import purge_timer
from tests.support import TenantWorld
from tests.unit.retention.common import age, full_encounter, set_retention


def exists(settings: Settings, encounter_id: str) -> bool:
    with session_scope(settings.resolved_database_url) as session:
        return session.get(Encounter, encounter_id) is not None


def test_without_a_schedule_purging_is_left_to_the_command(settings: Settings) -> None:
    assert settings.retention_purge_hours == 0
    assert purge_timer(settings) is None


def test_the_embedded_server_purges_expired_encounters_on_its_schedule(
    settings: Settings, tenant_a: TenantWorld, tmp_path: Path
) -> None:
    old, recent = full_encounter(settings, tenant_a), full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=41)
    set_retention(settings, tenant_a, 30)
    exports = tmp_path / "exports"
    scheduled = settings.model_copy(
        update={"retention_purge_hours": 1.0, "retention_export_dir": exports}
    )
    with TestClient(create_app(scheduled)):
        deadline = time.monotonic() + 30
        while exists(settings, old["encounter"]) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not exists(settings, old["encounter"])
    assert exists(settings, recent["encounter"])
    runs = list(exports.iterdir())
    assert len(runs) == 1 and verify(runs[0]).ok


def test_a_failed_run_does_not_end_the_schedule() -> None:
    calls: list[int] = []
    twice = threading.Event()

    def task() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("export directory not writable")
        twice.set()

    timer = Periodic("test_task", task, 0.05)
    timer.start()
    assert twice.wait(5)
    timer.stop()
    assert len(calls) >= 2
