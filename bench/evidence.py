"""Evidence commands at a realistic size: the OSV audit, the SQLite backup drill and the pack.

The OSV database is synthetic, shaped like the PyPI export (one JSON document per advisory, a
few hundred bytes to a few kB each, ranges with introduced/fixed/last_affected events); the
data dir holds `--patients` patients with one encounter each, created through the services.

    python bench/evidence.py [--advisories 20000] [--patients 500]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
import zipfile
from pathlib import Path

from clinscribe.accounts import service as accounts
from clinscribe.accounts.schemas import UserCreate
from clinscribe.compliance import drill, osv, pack
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import session_scope
from clinscribe.records import encounters, patients
from clinscribe.records.schemas import EncounterCreate, PatientCreate
from clinscribe.security import crypto
from clinscribe.security.principal import Principal

SECRET = "bench-secret-0123456789-0123456789-0123456789"


def osv_zip(path: Path, count: int, names: list[str]) -> Path:
    rng = random.Random(7)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            name = rng.choice(names) if rng.random() < 0.2 else f"pkg-{i % 9000}"
            major = rng.randint(0, 5)
            events = [{"introduced": f"{major}.0"}, {"fixed": f"{major}.{rng.randint(1, 9)}.1"}]
            if rng.random() < 0.1:
                events = [{"introduced": "0"}, {"last_affected": f"{major}.2"}]
            advisory = {
                "id": f"PYSEC-2026-{i}",
                "aliases": [f"CVE-2026-{i}"],
                "summary": "synthetic advisory " + "x" * rng.randint(50, 800),
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": name},
                        "ranges": [{"type": "ECOSYSTEM", "events": events}],
                        "versions": [f"{major}.0.{v}" for v in range(rng.randint(0, 30))],
                    }
                ],
            }
            archive.writestr(f"PYSEC-2026-{i}.json", json.dumps(advisory))
    return path


def populate(settings: Settings, count: int) -> None:
    url = settings.resolved_database_url
    with session_scope(url) as session:
        tenant = accounts.create_tenant(session=session, name="Bench clinic")
        user = accounts.create_user(
            session=session,
            tenant_id=tenant.id,
            data=UserCreate.model_validate({"email": "c@bench.example", "role": "clinician"}),
        )
        who = Principal(
            kind="user", tenant_id=tenant.id, actor_id=user.id, user_id=user.id, role="clinician"
        )
        for i in range(count):
            patient = patients.create(
                session=session,
                principal=who,
                data=PatientCreate(mrn=f"B{i:06d}", given_name="Bench", family_name=f"P{i}"),
            )
            encounters.create(
                session=session, principal=who, data=EncounterCreate(patient_id=patient.id)
            )


def timed(label: str, action: object) -> object:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    print(f"{label}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--advisories", type=int, default=20_000)
    parser.add_argument("--patients", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    lock = Path(__file__).resolve().parents[1] / "requirements.lock"
    names = list(osv.read_lock(lock))
    database = osv_zip(root / "all.zip", args.advisories, names)
    print(f"OSV zip: {args.advisories} advisories, {database.stat().st_size / 1e6:.1f} MB")
    result = timed("audit-deps", lambda: osv.audit(database, lock))
    print(f"  {len(result['findings'])} findings over {result['packages']} pins")  # type: ignore[index]

    data = root / "data"
    data.mkdir()
    settings = Settings(data_dir=data, jwt_secret=SECRET, api_key_pepper=SECRET + "-p")
    migrate.upgrade(settings.resolved_database_url)
    crypto.install(settings)
    timed(f"populate {args.patients} patients", lambda: populate(settings, args.patients))
    out = root / "drills"
    out.mkdir()
    report = timed("backup-drill", lambda: drill.run(settings, out))
    print(f"  ok={report['ok']} audit rows={report['audit']['checked']}")  # type: ignore[index]
    timed("evidence-pack", lambda: pack.build(settings, root / "pack.zip"))
    timed("verify-evidence-pack", lambda: pack.verify(root / "pack.zip"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
