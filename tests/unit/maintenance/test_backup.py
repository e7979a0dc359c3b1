"""Backup and restore drill: a fresh data dir restored from a backup serves the same data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.conftest import make_settings
from tests.support import TenantWorld, wav_bytes


def cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLINSCRIBE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_backup_restores_into_a_fresh_data_dir_with_data_blobs_and_audit_chain(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tmp_path: Path
) -> None:
    audio = wav_bytes(0.5)
    recording = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/recordings",
        headers=tenant_a.auth("clinician"),
        files={"file": ("a.wav", audio, "audio/wav")},
    ).json()["recording"]
    archive = tmp_path / "backup.tar.gz"
    made = cli(["admin", "backup", str(archive), "--json"], settings.data_dir)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["counts"]["patients"] >= 1

    fresh = tmp_path / "restored"
    restored = cli(["admin", "restore", str(archive), "--json"], fresh)
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["audit_rows_verified"] > 0
    again = cli(["admin", "restore", str(archive)], fresh)
    assert again.returncode == 1 and "already holds a database" in again.stderr

    copy = make_settings(fresh)
    with TestClient(create_app(copy, start_worker=False)) as restored_client:
        patient = restored_client.get(
            f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("admin")
        )
        assert patient.status_code == 200
        played = restored_client.get(
            f"/api/v1/recordings/{recording['id']}/audio", headers=tenant_a.auth("admin")
        )
        assert played.content == audio


def test_a_tampered_or_foreign_backup_is_refused(
    settings: Settings, tmp_path: Path, tenant_a: TenantWorld
) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(["admin", "backup", str(archive)], settings.data_dir).returncode == 0
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            if member.name == "clinscribe.db" and data is not None:
                raw = bytearray(data.read())
                raw[-1] ^= 0xFF
                member.size = len(raw)
                import io

                dst.addfile(member, io.BytesIO(bytes(raw)))
            else:
                dst.addfile(member, data)
    refused = cli(["admin", "restore", str(tampered)], tmp_path / "t1")
    assert refused.returncode == 1 and "corrupt" in refused.stderr
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    assert "not a readable" in cli(["admin", "restore", str(junk)], tmp_path / "t2").stderr
    missing = cli(["admin", "restore", str(tmp_path / "nope.tar.gz")], tmp_path / "t3")
    assert missing.returncode == 1 and "no such backup" in missing.stderr
