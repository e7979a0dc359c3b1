"""Patient summary latency: GET /patients/{id}/summary for a patient with 5,000 observations.

Seeds one patient per database with N observations (10 vital-sign codes and 10 lab codes over
years, all accepted), 15 active medications (with interacting pairs), 8 problems, 3 allergies
and 6 orders, then calls the summary through the in-process ASGI app (TestClient: routing,
authentication, the audit event and JSON included, no network) and reports p50/p95. SQLite and
PostgreSQL run in the same process so their ratio is meaningful on a shared machine.

    python bench/record_summary.py [--observations 5000] [--requests 200]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--no-pg]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from clinscribe.accounts import auth
from clinscribe.accounts import service as accounts
from clinscribe.accounts.schemas import UserCreate
from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.models import (
    AllergyEntry,
    ClinicalObservation,
    ConditionEntry,
    MedicationEntry,
    ServiceOrder,
)
from clinscribe.db.session import get_engine, session_scope
from clinscribe.records import patients
from clinscribe.records.schemas import PatientCreate
from clinscribe.security import crypto
from clinscribe.security.principal import Principal

SECRET = "bench-secret-0123456789-0123456789-0123456789"
VITALS = [
    ("8480-6", "mm[Hg]", 120),
    ("8462-4", "mm[Hg]", 80),
    ("8867-4", "/min", 72),
    ("9279-1", "/min", 16),
    ("8310-5", "Cel", 36.8),
    ("59408-5", "%", 97),
    ("29463-7", "kg", 80),
    ("8302-2", "cm", 175),
    ("39156-5", "kg/m2", 26),
    ("2339-0", "mg/dL", 100),
]
LABS = [
    "4548-4",
    "2345-7",
    "2160-0",
    "2823-3",
    "2951-2",
    "718-7",
    "6690-2",
    "777-3",
    "1742-6",
    "2093-3",
]
DRUGS = [
    "warfarin",
    "ibuprofen",
    "simvastatin",
    "clarithromycin",
    "sertraline",
    "tramadol",
    "lisinopril",
    "spironolactone",
    "metformin",
    "omeprazole",
    "clopidogrel",
    "amlodipine",
    "digoxin",
    "furosemide",
    "levothyroxine",
]


def _settings(data_dir: Path, database_url: str | None) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "jwt_secret": SECRET,
        "api_key_pepper": SECRET + "-pepper",
        "rate_limit_per_minute": 0,
        "rate_limit_ip_per_minute": 0,
        "stream_warmup": False,
    }
    if database_url:
        values["database_url"] = database_url
    settings = Settings(**values)  # type: ignore[arg-type]
    crypto.install(settings)
    return settings


def seed(settings: Settings, observations: int) -> tuple[str, str]:
    """A tenant, a clinician's token and a patient with a full record: (token, patient id)."""
    url = settings.resolved_database_url
    migrate.upgrade(url)
    with session_scope(url) as session:
        tenant = accounts.create_tenant(session=session, name=f"bench-{uuid.uuid4().hex[:8]}")
        user = accounts.create_user(
            session=session,
            tenant_id=tenant.id,
            data=UserCreate(
                email=f"b{uuid.uuid4().hex[:8]}@example.org",
                role="clinician",
                password="correct-horse-battery",
            ),  # type: ignore[arg-type]
        )
        token = auth.issue_access_token(settings=settings, user=user)
        principal = Principal(
            kind="user", tenant_id=tenant.id, actor_id=user.id, user_id=user.id, role="clinician"
        )
        patient = patients.create(
            session=session,
            principal=principal,
            data=PatientCreate(mrn=uuid.uuid4().hex[:10], given_name="Bench", family_name="Mark"),
        )
        common = {
            "tenant_id": tenant.id,
            "patient_id": patient.id,
            "state": "active",
            "version": 1,
            "sources": [{"kind": "device"}],
        }
        start = datetime(2020, 1, 1, tzinfo=UTC)
        rows: list[object] = []
        for i in range(observations):
            when = start + timedelta(hours=7 * i)
            if i % 2 == 0:
                code, unit, value = VITALS[(i // 2) % len(VITALS)]
                rows.append(
                    ClinicalObservation(
                        **common,
                        category="vital-signs",
                        code=code,
                        unit=unit,
                        value_quantity=value + (i % 7),
                        effective_at=when,
                        status="final",
                        source="device",
                    )
                )
            else:
                rows.append(
                    ClinicalObservation(
                        **common,
                        category="laboratory",
                        code=LABS[(i // 2) % len(LABS)],
                        unit="mmol/L",
                        value_quantity=5.0 + (i % 5),
                        effective_at=when,
                        status="final",
                        source="document",
                    )
                )
        rows += [
            MedicationEntry(**common, kind="statement", drug=d, status="active") for d in DRUGS
        ]
        rows += [
            ConditionEntry(
                **common,
                code=c,
                display=c,
                clinical_status="active",
                verification_status="confirmed",
            )
            for c in ("I10", "E11.9", "E78.5", "N18.3", "I48.91", "J45.909", "F32.9", "K21.9")
        ]
        rows += [
            AllergyEntry(**common, substance=s, category="medication")
            for s in ("penicillin", "sulfa", "codeine")
        ]
        rows += [
            ServiceOrder(
                **common,
                category="laboratory",
                display=f"Panel {i}",
                status="active" if i % 2 else "completed",
            )
            for i in range(6)
        ]
        session.add_all(rows)
        return token, patient.id


def _timed(client: TestClient, path: str, headers: dict[str, str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200
    return times


def measure(
    settings: Settings, token: str, patient_id: str, requests: int
) -> dict[str, list[float]]:
    """Summary latencies, beside GET /patients/{id} (auth, one row, an audit event) as the floor."""
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/patients/{patient_id}/summary"
    with TestClient(create_app(settings, start_worker=False)) as client:
        for _ in range(10):  # warm-up: the interaction checker loads its lexicon once
            assert client.get(path, headers=headers).status_code == 200
        body = client.get(path, headers=headers).json()
        assert len(body["latest_vitals"]) == len(VITALS)
        assert body["alerts"], "the seeded medication list has interacting pairs"
        out: dict[str, list[float]] = {"summary": [], "patient": []}
        cpu = {"summary": 0.0, "patient": 0.0}
        # Interleaved, so both see the same machine load.
        for _ in range(requests // 10):
            for name, target in (("summary", path), ("patient", f"/api/v1/patients/{patient_id}")):
                c0 = time.process_time()
                out[name] += _timed(client, target, headers, 10)
                cpu[name] += time.process_time() - c0
    for name, seconds in cpu.items():
        # CPU of this process (client, app, SQLite) per request: what load inflates least.
        print(f"  {name}: {seconds * 1000 / len(out[name]):.1f} ms CPU per request")
    return out


def report(backend: str, runs: dict[str, list[float]]) -> None:
    p50s = {}
    for name, times in runs.items():
        times = sorted(times)
        p95 = times[int(len(times) * 0.95) - 1]
        p50s[name] = statistics.median(times)
        print(
            f"{backend:10} {name:8} n={len(times)} p50={p50s[name]:.1f} ms "
            f"p95={p95:.1f} ms max={times[-1]:.1f} ms"
        )
    print(f"{backend:10} summary/patient p50 ratio {p50s['summary'] / p50s['patient']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--pg",
        default=os.environ.get("CLINSCRIBE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp), None)
        token, pid = seed(settings, args.observations)
        report("sqlite", measure(settings, token, pid, args.requests))
        get_engine(settings.resolved_database_url).dispose()
    if not args.no_pg:
        name = f"bench_summary_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = args.pg.rsplit("/", 1)[0] + f"/{name}"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                settings = _settings(Path(tmp), url)
                token, pid = seed(settings, args.observations)
                report("postgresql", measure(settings, token, pid, args.requests))
        finally:
            get_engine(url).dispose()
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
