"""Benchmark the OpenEMR bridge: sync rate for a large OpenEMR, and write-back latency.

    python bench/openemr_sync.py [--patients 10000] [--notes 50] [--server mysql://root@127.0.0.1:3306]
        [--database-url postgresql://...] [--json OUT]

Creates a scratch MariaDB database (dropped afterwards) with the test DDL subset of OpenEMR, its
seed accounts and `--patients` generated patients, each with one encounter. Clinscribe's own
database is a migrated SQLite file in a temporary folder unless `--database-url` names a
(fresh, migrated) one. Then:

- sync: `openemr.sync` of every patient and encounter, committed (first import, then a second
  run that finds nothing to change), as patients/s;
- write-back: `--notes` signed notes on one OpenEMR encounter, each written by its
  `openemr_write` job as the worker runs it (our note read, the OpenEMR transaction with the
  SOAP form, vitals form and ledger row, our encounter updated); p50/p95 per note.

Patients are synthetic (names from small lists, dates spread over 90 years).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import pymysql  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.integration.openemr import conftest as fixture  # noqa: E402
from tests.integration.openemr.flows import jobs, linked_world, sign, signed_copies  # noqa: E402
from tests.support import add_note, build_tenant  # noqa: E402

from clinscribe.api.app import create_app  # noqa: E402
from clinscribe.config import Settings  # noqa: E402
from clinscribe.db import migrate  # noqa: E402
from clinscribe.db.session import session_scope  # noqa: E402
from clinscribe.openemr import sync, writeback  # noqa: E402
from clinscribe.openemr.connection import dispose_all  # noqa: E402
from clinscribe.tasks import setup_jobs  # noqa: E402

GIVEN = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ines", "Jon", "Kai", "Lia"]
FAMILY = ["Arden", "Brook", "Cole", "Dale", "Esk", "Frost", "Grove", "Hale", "Ives", "Jura"]


def _server(url: str) -> dict[str, Any]:
    rest = url.split("://", 1)[1]
    user, _, hostport = rest.rpartition("@")
    host, _, port = hostport.partition(":")
    return {"host": host, "port": int(port or 3306), "user": user or "root", "password": ""}


def load_openemr(server: str, name: str, patients: int) -> None:
    """The subset DDL, the seed accounts, and `patients` patients with one encounter each."""
    conn = pymysql.connect(**_server(server), autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        cur.execute(f"USE `{name}`")
        for statement in fixture.ddl_statements():
            cur.execute(statement)
        for sql, args in fixture._rows():
            cur.execute(sql, args)
        rng = random.Random(7)
        start = date(1935, 1, 1)
        rows, encounters = [], []
        for pid in range(4, patients + 4):
            rows.append(
                (
                    pid,
                    f"MRN-{100000 + pid}",
                    rng.choice(GIVEN),
                    "",
                    rng.choice(FAMILY),
                    (start + timedelta(days=rng.randrange(90 * 365))).isoformat(),
                    rng.choice(["Female", "Male", ""]),
                    uuid.uuid4().bytes,
                )
            )
            encounters.append(("2026-11-30 09:00:00", "Visit", pid, 100 + pid, uuid.uuid4().bytes))
        cur.executemany(
            "INSERT INTO patient_data (pid, pubpid, fname, mname, lname, DOB, sex, uuid) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        cur.executemany(
            "INSERT INTO form_encounter (date, reason, facility, facility_id, pid, encounter, "
            "provider_id, uuid) VALUES (%s, %s, 'Riverside Clinic', 3, %s, %s, 2, %s)",
            encounters,
        )
        cur.execute("UPDATE sequences SET id = %s", (patients + 200,))
    conn.close()


def drop(server: str, name: str) -> None:
    dispose_all()
    conn = pymysql.connect(**_server(server), autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def _sync_once(settings: Settings, tenant_id: str) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    with session_scope(settings.resolved_database_url) as session:
        result = sync.sync(
            session=session, settings=settings, principal=sync.system_actor(tenant_id)
        )
    return time.perf_counter() - started, result.as_dict()


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    if args.database_url:
        settings = make_settings(workdir, database_url=args.database_url)
    else:
        settings = make_settings(workdir)
        migrate.upgrade(settings.resolved_database_url)
    name = f"openemr_bench_{uuid.uuid4().hex[:8]}"
    load_openemr(args.server, name, args.patients)
    try:
        url = f"{args.server}/{name}"
        world = build_tenant(settings)
        with TestClient(create_app(settings, start_worker=False)) as client:
            body = {"database_url": url, "write_back": "soap", "facility_id": 3}
            put = client.put("/api/v1/tenant/openemr", json=body, headers=world.auth("admin"))
            assert put.status_code == 200, put.text
            first_s, first = _sync_once(settings, world.id)
            second_s, second = _sync_once(settings, world.id)
            total = args.patients + 3
            out: dict[str, Any] = {
                "patients": total,
                "encounters": args.patients + 2,
                "sync_first_s": round(first_s, 2),
                "sync_first_patients_per_s": round(total / first_s, 1),
                "sync_again_s": round(second_s, 2),
                "sync_again_patients_per_s": round(total / second_s, 1),
                "first": first,
                "again": second,
            }
            # Write-back: signed notes on OpenEMR encounter 2 (linked_world syncs again: cheap).
            linked, encounter_id = linked_world(client, settings, world, url)
            note_id, _ = add_note(settings, linked, encounter_id, "draft")
            sections = {"assessment": "Acute bronchitis.", "plan": "Fluids and rest."}
            client.patch(
                f"/api/v1/notes/{note_id}",
                json={"sections": sections},
                headers=linked.auth("clinician"),
            )
            sign(client, linked, note_id)
            signed_copies(settings, note_id, args.notes - 1)
            runtime = setup_jobs(settings)
            latencies = []
            for job in jobs(settings):
                started = time.perf_counter()
                runtime.run(writeback.KIND, job.id)
                latencies.append((time.perf_counter() - started) * 1000)
            done = [j.status for j in jobs(settings)]
            assert done == ["succeeded"] * args.notes, done
            q = statistics.quantiles(latencies, n=20, method="inclusive")
            out.update(
                notes=args.notes,
                writeback_p50_ms=round(statistics.median(latencies), 1),
                writeback_p95_ms=round(q[18], 1),
                writeback_max_ms=round(max(latencies), 1),
            )
        return out
    finally:
        drop(args.server, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--server", default="mysql://root@127.0.0.1:3306")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.patients < 1 or args.notes < 2:
        parser.error("--patients must be >= 1 and --notes >= 2")
    with tempfile.TemporaryDirectory() as tmp:
        out = run(args, Path(tmp))
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
