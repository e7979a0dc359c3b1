"""Encryption at rest: sealed fields, blind-index search, blobs, key rotation, and a canary."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from clinscribe.api.app import create_app
from clinscribe.cli import cli
from clinscribe.config import Settings, get_settings
from clinscribe.db.models import Patient, Transcript
from clinscribe.db.session import session_scope
from clinscribe.maintenance import rotation
from clinscribe.security import crypto
from clinscribe.security.crypto import DecryptionError
from clinscribe.storage.blobs import SEAL_CHUNK, BlobCorruptError, LocalBlobStore
from tests import canary
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant, wav_bytes


@pytest.fixture(autouse=True)
def fresh_cli_settings() -> Iterator[None]:
    # CLI commands read settings once per process; each test here points them elsewhere.
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def new_key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def raw_row(settings: Settings, sql: str, **params: Any) -> Any:
    with session_scope(settings.resolved_database_url) as session:
        return session.execute(text(sql), params).one()


def create_patient(client: TestClient, world: TenantWorld, **fields: Any) -> dict[str, Any]:
    body = {"mrn": f"MRN-{uuid.uuid4().hex[:8]}", "given_name": "Ada", "family_name": "Byron"}
    response = client.post("/api/v1/patients", json={**body, **fields}, headers=world.auth("admin"))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_identifiers_are_ciphertext_in_the_database_and_plaintext_through_the_api(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    patient = create_patient(
        client, tenant_a, family_name="Lovelace", phone="+1 555 0100", birth_date="1815-12-10"
    )
    row = raw_row(
        settings,
        "SELECT mrn, given_name, family_name, phone, birth_date, mrn_index FROM patients "
        "WHERE id = :id",
        id=patient["id"],
    )
    assert all(value.startswith("enc1:") for value in row[:5])
    assert "Lovelace" not in "".join(row) and patient["mrn"] not in "".join(row)
    assert len(row.mrn_index) == 64
    read = client.get(f"/api/v1/patients/{patient['id']}", headers=tenant_a.auth("clinician"))
    assert read.json()["family_name"] == "Lovelace"
    assert read.json()["birth_date"] == "1815-12-10"


def test_search_by_mrn_and_family_name_prefix_goes_through_blind_indexes(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    ada = create_patient(client, tenant_a, family_name="Lovelace")
    create_patient(client, tenant_a, family_name="Lovell")
    create_patient(client, tenant_a, family_name="Hopper")
    other = create_patient(client, tenant_b, family_name="Lovelace")
    headers = tenant_a.auth("clinician")

    def names(**query: str) -> list[str]:
        page = client.get("/api/v1/patients", params=query, headers=headers)
        assert page.status_code == 200, page.text
        return sorted(p["family_name"] for p in page.json()["items"])

    assert names(family_name="love") == ["Lovelace", "Lovell"]
    assert names(family_name="LOVELACE") == ["Lovelace"]
    assert names(family_name="Lovelacey") == []
    assert names(mrn=ada["mrn"]) == ["Lovelace"]
    assert names(mrn=other["mrn"]) == []  # the same search in another tenant finds nothing
    too_long = client.get("/api/v1/patients", params={"family_name": "x" * 13}, headers=headers)
    assert too_long.status_code == 422 and "prefixes" in too_long.json()["detail"]
    duplicate = client.post(
        "/api/v1/patients",
        json={"mrn": ada["mrn"], "given_name": "A", "family_name": "B"},
        headers=tenant_a.auth("admin"),
    )
    assert duplicate.status_code == 409


def test_a_value_moved_to_another_row_or_tenant_does_not_decrypt(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    first = create_patient(client, tenant_a, family_name="Original")
    second = create_patient(client, tenant_a, family_name="Second")
    foreign = create_patient(client, tenant_b, family_name="Foreign")
    stolen = raw_row(
        settings, "SELECT family_name FROM patients WHERE id = :id", id=first["id"]
    ).family_name
    with session_scope(settings.resolved_database_url) as session:
        for target in (second["id"], foreign["id"]):
            session.execute(
                text("UPDATE patients SET family_name = :v WHERE id = :id"),
                {"v": stolen, "id": target},
            )
    with session_scope(settings.resolved_database_url) as session:
        assert session.get(Patient, first["id"]).family_name == "Original"  # type: ignore[union-attr]
        for target in (second["id"], foreign["id"]):
            patient = session.get(Patient, target)
            assert patient is not None
            with pytest.raises(DecryptionError):
                _ = patient.family_name


def test_a_sealed_field_cannot_be_used_in_a_query() -> None:
    with pytest.raises(TypeError, match="encrypted"):
        select(Patient).where(Patient.mrn == "x")  # type: ignore[arg-type]


def test_blobs_are_encrypted_in_chunks_and_any_tampering_is_detected(settings: Settings) -> None:
    import io

    store = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    payload = os.urandom(3 * SEAL_CHUNK + 123)
    sha, size = store.put("t/e/r1", io.BytesIO(payload), max_bytes=10**8)
    assert size == len(payload) and sha == hashlib.sha256(payload).hexdigest()
    raw = (settings.blob_dir / "t/e/r1").read_bytes()
    assert payload[:64] not in raw and payload[-64:] not in raw
    with store.open("t/e/r1") as reader:
        assert reader.read() == payload
        reader.seek(SEAL_CHUNK - 10)  # a read across a chunk boundary
        assert reader.read(20) == payload[SEAL_CHUNK - 10 : SEAL_CHUNK + 10]
    # Empty and exact-multiple sizes round-trip as well.
    for n, data in enumerate((b"", os.urandom(SEAL_CHUNK))):
        store.put(f"t/e/edge{n}", io.BytesIO(data), max_bytes=10**8)
        with store.open(f"t/e/edge{n}") as reader:
            assert reader.read() == data

    path = settings.blob_dir / "t/e/r1"
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(BlobCorruptError), store.open("t/e/r1") as reader:
        reader.read()
    # Cut at a chunk boundary: the new last chunk was not sealed as the last one.
    header = len(raw) - 3 * (SEAL_CHUNK + 16) - (123 + 16)
    path.write_bytes(raw[: header + 2 * (SEAL_CHUNK + 16)])
    with pytest.raises(BlobCorruptError), store.open("t/e/r1") as reader:
        reader.read()
    # The intact file copied under another key does not open either.
    (settings.blob_dir / "t/e/r2").write_bytes(raw)
    with pytest.raises(BlobCorruptError), store.open("t/e/r2") as reader:
        reader.read()


def _rich_world(settings: Settings) -> tuple[TenantWorld, dict[str, Any]]:
    world = build_tenant(settings)
    with TestClient(create_app(settings, start_worker=False)) as client:
        patient = create_patient(client, world, family_name="Rotated")
        headers = world.auth("clinician")
        upload = client.post(
            f"/api/v1/encounters/{world.encounter_id}/recordings",
            files={"file": ("visit.wav", wav_bytes(0.5), "audio/wav")},
            headers=headers,
        )
        assert upload.status_code == 202
        typed = client.post(
            f"/api/v1/encounters/{world.encounter_id}/text",
            json={"text": "[doctor] Any chest pain?\n[patient] No, just a cough."},
            headers=headers,
        )
        assert typed.status_code == 201
        note = client.post(
            f"/api/v1/encounters/{world.encounter_id}/notes",
            json={"template": "soap"},
            headers=headers,
        )
        assert note.status_code == 201, note.text
    return world, {"patient": patient, "recording": upload.json()["recording"]}


def key_ids(settings: Settings) -> set[str]:
    con = sqlite3.connect(settings.data_dir / "clinscribe.db")
    try:
        found = set()
        for table, column in (
            ("patients", "family_name"),
            ("transcripts", "text"),
            ("note_versions", "content_json"),
            ("recordings", "filename"),
        ):
            query = f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
            found |= {value.split(":")[1] for (value,) in con.execute(query)}
        return found
    finally:
        con.close()


def test_rotation_moves_every_value_and_blob_to_the_new_key_then_the_old_key_can_go(
    tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "clinscribe.db")
    old, new = new_key("k1"), new_key("k2")
    before = make_settings(data, encryption_keys=[old])
    world, made = _rich_world(before)
    assert key_ids(before) == {"k1"}

    after = make_settings(data, encryption_keys=[new, old])
    seen: list[tuple[str, int]] = []
    report = rotation.rotate(after, batch_size=2, progress=lambda t, p: seen.append((t, p.checked)))
    summary = report.as_dict()
    assert summary["primary_key"] == "k2" and summary["resealed"] > 0
    assert summary["tables"]["blobs"]["resealed"] == 1
    assert ("patients", 2) in seen  # batches of two report as they go
    assert key_ids(after) == {"k2"}
    again = rotation.rotate(after).as_dict()
    assert again["resealed"] == 0

    only_new = make_settings(data, encryption_keys=[new])
    with TestClient(create_app(only_new, start_worker=False)) as client:
        headers = world.auth("clinician")
        patient = client.get(f"/api/v1/patients/{made['patient']['id']}", headers=headers)
        assert patient.json()["family_name"] == "Rotated"
        audio = client.get(f"/api/v1/recordings/{made['recording']['id']}/audio", headers=headers)
        assert audio.status_code == 200 and audio.content == wav_bytes(0.5)
        found = client.get(
            "/api/v1/patients", params={"family_name": "rot"}, headers=headers
        ).json()
        assert [p["id"] for p in found["items"]] == [made["patient"]["id"]]


def test_rotate_keys_command_reports_progress_and_a_summary(settings: Settings) -> None:
    build_tenant(settings)
    env = {"CLINSCRIBE_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(cli, ["admin", "rotate-keys", "--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tables"]["patients"]["checked"] == 1
    bad = CliRunner().invoke(cli, ["admin", "rotate-keys", "--batch-size", "0"], env=env)
    assert bad.exit_code == 2 and "batch-size" in bad.output


def test_upgrading_a_database_written_before_encryption_seals_what_it_holds(
    tmp_path: Path,
) -> None:
    from clinscribe.db import migrate

    data = tmp_path / "data"
    data.mkdir()
    settings = make_settings(data)
    url = settings.resolved_database_url
    migrate.upgrade(url, "0009")
    with session_scope(url) as session:
        session.execute(
            text(
                "INSERT INTO tenants (id, name, phi_egress_policy, asr_engine, "
                "allow_self_approval, created_at, updated_at) VALUES "
                "('t1', 'Old clinic', 'deny', 'offline', 0, '2026-01-01', "
                "'2026-01-01')"
            )
        )
        session.execute(
            text(
                "INSERT INTO patients (id, tenant_id, mrn, given_name, family_name, "
                "birth_date, sex, created_at, updated_at) VALUES ('p1', 't1', "
                "'OLD-1', 'Grace', 'Hopper', '1906-12-09', 'female', "
                "'2026-01-01', '2026-01-01')"
            )
        )
    env = {"CLINSCRIBE_DATA_DIR": str(data)}
    result = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "sealed" in result.output
    row = raw_row(settings, "SELECT mrn, family_name, birth_date, mrn_index FROM patients")
    assert row.mrn.startswith("enc1:") and row.family_name.startswith("enc1:")
    with session_scope(url) as session:
        patient = session.scalars(select(Patient)).one()
        assert (patient.mrn, patient.family_name, str(patient.birth_date)) == (
            "OLD-1",
            "Hopper",
            "1906-12-09",
        )
        assert patient.mrn_index is not None


def test_canary_markers_appear_nowhere_at_rest_in_logs_or_metrics(
    settings: Settings, tenant_a: TenantWorld, capfd: pytest.CaptureFixture[str]
) -> None:
    markers = canary.markers()
    with TestClient(create_app(settings, start_worker=False)) as client:
        metrics = canary.exercise(client, tenant_a, markers)
    at_rest = canary.files_under(settings.data_dir)
    assert len(at_rest) > 10_000  # the database, its WAL and the blobs were read
    logs = capfd.readouterr()
    canary.assert_absent(
        markers,
        {"the data dir": at_rest, "the logs": (logs.out + logs.err).encode(), "/metrics": metrics},
    )
    with session_scope(settings.resolved_database_url) as session:
        stored = session.scalars(select(Transcript)).all()
        assert any(markers["spoken"] in t.text for t in stored)
