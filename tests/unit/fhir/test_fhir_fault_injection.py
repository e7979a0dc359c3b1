"""200 signed note versions delivered through ~30% injected faults: no duplicates, none stuck."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from clinscribe.fhir.core import (
    DeliveryResult,
    FhirClient,
    RetryPolicy,
    SignedNote,
    build_bundle,
    deliver,
    validate_bundle,
)
from tests.fhir_server import Fault, FhirTestServer
from tests.unit.fhir.conftest import local_config, make_note, seed_world

NOTES = 180
AMENDED = 20  # the first 20 notes are also amended: 200 signed versions in all
FAULT_RATE = 0.30
FAULTS: tuple[Fault, ...] = (
    "error_500",
    "rate_limit",
    "timeout_after_commit",
    "drop_after_commit",
)


def signed_versions() -> list[SignedNote]:
    def mrn(i: int) -> str:
        return f"MRN-UNKNOWN-{i}" if i % 20 == 7 else f"MRN-{i % 20}"

    notes = [make_note(f"note-{i}", 1, mrn=mrn(i), encounter=f"ENC-{i}") for i in range(NOTES)]
    notes += [make_note(f"note-{i}", 2, mrn=mrn(i), encounter=f"ENC-{i}") for i in range(AMENDED)]
    return notes


def test_redelivery_through_injected_faults_creates_each_document_exactly_once() -> None:
    rng = random.Random(20261123)

    def pick() -> Fault | None:
        return rng.choice(FAULTS) if rng.random() < FAULT_RATE else None

    notes = signed_versions()
    bundles = [build_bundle(n) for n in notes]
    for bundle in bundles:
        validate_bundle(bundle)
    unknown_patient = {i for i, n in enumerate(notes) if "UNKNOWN" in n.patient.value}

    waits: list[tuple[str, float]] = []
    lock = threading.Lock()
    policy = RetryPolicy(max_attempts=10, base_delay=0.001, max_delay=0.01)
    started = time.monotonic()
    with FhirTestServer(fault_picker=pick, retry_after="1", commit_delay=0.5) as server:
        seed_world(server, [f"MRN-{i}" for i in range(20)], [f"ENC-{i}" for i in range(NOTES)])
        config = local_config(server, timeout=0.4)
        with FhirClient(config) as client:

            def run(bundle: dict[str, Any]) -> DeliveryResult:
                def sleep(seconds: float) -> None:
                    with lock:
                        waits.append(("", seconds))
                    time.sleep(min(seconds, 0.002))  # tiny real backoff; the asked delay is kept

                return deliver(client, bundle, policy, sleep=sleep)

            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(run, bundles))
        elapsed = time.monotonic() - started

        delivered = [i for i, r in enumerate(results) if r.delivered]
        dead = [i for i, r in enumerate(results) if not r.delivered]
        assert len(delivered) + len(dead) == len(notes) == 200
        assert set(dead) == unknown_patient
        assert all(
            results[i].outcome == "permanent" and results[i].status_code == 400 for i in dead
        )
        assert all(results[i].operation_outcome is not None for i in dead)

        # Exactly one DocumentReference per delivered note version, none for dead letters.
        for i, note in enumerate(notes):
            ident = bundles[i]["entry"][0]["resource"]["identifier"][0]
            found = server.search(
                "DocumentReference", f"identifier={ident['system']}|{ident['value']}"
            )
            assert len(found) == (1 if i in delivered else 0), note.note_id
        assert server.count("DocumentReference") == len(delivered)
        assert server.count("Composition") == len(delivered)
        assert server.count("Provenance") == len(delivered)
        assert server.count("Observation") == 9 * len(delivered)
        assert server.count("Condition") == 3 * len(delivered)

        injected = {f: server.stats[f] for f in FAULTS}
        assert all(count > 0 for count in injected.values())
        attempts = sum(r.attempts for r in results)
        fault_share = sum(injected.values()) / attempts
        assert 0.2 < fault_share < 0.4
        # A 429 asked for one second: the backoff never asked for less.
        assert sum(1 for _, s in waits if s >= 1.0) >= injected["rate_limit"] - 1

        # Redelivering everything again creates nothing new.
        server.fault_picker = None
        created = server.stats["created"]
        with FhirClient(local_config(server)) as client:
            again = [client.post_bundle(bundles[i]) for i in delivered[:50]]
        assert all(r.delivered for r in again)
        assert server.stats["created"] == created

    print(  # the figures, shown with `pytest -s`
        f"\nfault injection: versions={len(notes)} delivered={len(delivered)} "
        f"dead_lettered={len(dead)} attempts={attempts} injected={injected} "
        f"fault_share={fault_share:.2f} max_attempts={max(r.attempts for r in results)} "
        f"committed={server.stats['committed']} elapsed={elapsed:.1f}s"
    )
