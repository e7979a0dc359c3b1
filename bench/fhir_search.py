"""FHIR read API search latency: Observation?patient=X&code=Y&date=ge... over 5,000 observations.

Seeds one patient with 5,000 active record observations (10 LOINC codes, one every ~3.5 hours
over two years) and a second patient with 1,000 more, then times the search through the whole
app in-process (authentication, SMART check, SQL, mapping, audit row, JSON) with a
`TestClient`. SQLite always; PostgreSQL too with `--pg URL` (a scratch database is created and
dropped). Prints p50/p95 per query.

    python bench/fhir_search.py [--requests 200] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from clinscribe.accounts import auth, service
from clinscribe.accounts.schemas import UserCreate
from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.models import ClinicalObservation
from clinscribe.db.session import session_scope
from clinscribe.records import patients
from clinscribe.records.schemas import PatientCreate
from clinscribe.security import crypto
from clinscribe.security.principal import Principal

SECRET = "bench-secret-0123456789-0123456789-0123456789"
CODES = ("8867-4", "8480-6", "8462-4", "9279-1", "8310-5", "59408-5", "29463-7", "2339-0",
         "2160-0", "2951-2")  # fmt: skip
START = datetime(2024, 1, 1, tzinfo=UTC)


def _settings(data_dir: Path, database_url: str | None) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "jwt_secret": SECRET,
        "api_key_pepper": SECRET,
        "rate_limit_per_minute": 0,
        "rate_limit_ip_per_minute": 0,
        "stream_warmup": False,
    }
    if database_url:
        values["database_url"] = database_url
    settings = Settings(**values)  # type: ignore[arg-type]
    crypto.install(settings)
    return settings


def _seed(settings: Settings, per_patient: int) -> tuple[str, str]:
    url = settings.resolved_database_url
    migrate.upgrade(url)
    with session_scope(url) as session:
        tenant = service.create_tenant(session=session, name=f"bench-{uuid.uuid4().hex[:6]}")
        user = service.create_user(
            session=session,
            tenant_id=tenant.id,
            data=UserCreate(email=f"b{uuid.uuid4().hex[:6]}@example.org", role="clinician"),  # type: ignore[arg-type]
        )
        token = auth.issue_access_token(settings=settings, user=user)
        who = Principal(
            kind="user", tenant_id=tenant.id, actor_id=user.id, user_id=user.id, role="clinician"
        )
        ids = []
        for n in (per_patient, per_patient // 5):
            patient = patients.create(
                session=session,
                principal=who,
                data=PatientCreate(mrn=uuid.uuid4().hex[:10], given_name="B", family_name="Bench"),
            )
            ids.append(patient.id)
            session.add_all(
                ClinicalObservation(
                    tenant_id=tenant.id,
                    patient_id=patient.id,
                    category="vital-signs",
                    code=CODES[i % len(CODES)],
                    display="bench",
                    value_quantity=float(60 + i % 40),
                    unit="/min",
                    effective_at=START + timedelta(minutes=210 * i),
                    status="final",
                    state="active",
                    source="manual",
                    sources=[{"kind": "manual"}],
                )
                for i in range(n)
            )
            session.flush()
    return token, ids[0]


def _time(client: TestClient, token: str, url: str, requests: int) -> tuple[float, float, int]:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(10):
        client.get(url, headers=headers)
    timings = []
    total = 0
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
        total = response.json()["total"]
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * len(timings)) - 1], total


def run(backend: str, settings: Settings, requests: int, per_patient: int) -> list[str]:
    token, patient = _seed(settings, per_patient)
    queries = {
        "patient+code+date=ge (50/page)": (
            f"/fhir/R4/Observation?patient={patient}&code=http://loinc.org|8867-4&date=ge2025-01-01"
        ),
        "patient+code+date=ge, _count=10": (
            f"/fhir/R4/Observation?patient={patient}&code=8867-4&date=ge2025-01-01&_count=10"
        ),
        "patient+date=2025-03 (month)": f"/fhir/R4/Observation?patient={patient}&date=2025-03",
        "patient only, page 40 (_offset)": (
            f"/fhir/R4/Observation?patient={patient}&_count=50&_offset=2000"
        ),
    }
    rows = []
    with TestClient(create_app(settings, start_worker=False)) as client:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for name, url in queries.items():
            p50, p95, total = _time(client, token, url, requests)
            rows.append(f"| {backend} | {name} | {total} | {p50:.1f} | {p95:.1f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--observations", type=int, default=5000)
    parser.add_argument("--pg", help="PostgreSQL URL; a scratch database is made beside it")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = ["| backend | query | matches | p50 ms | p95 ms |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        rows += run("SQLite", _settings(Path(tmp), None), args.requests, args.observations)
    if args.pg:
        name = f"bench_fhir_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = args.pg.rsplit("/", 1)[0] + f"/{name}"
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
            with tempfile.TemporaryDirectory() as tmp:
                rows += run(
                    "PostgreSQL", _settings(Path(tmp), url), args.requests, args.observations
                )
        finally:
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("\n".join(rows), file=sys.stderr)
    print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after", file=sys.stderr)


if __name__ == "__main__":
    main()
