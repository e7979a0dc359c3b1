"""The backup drill on the embedded profile, and the controls report reading its results."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.support import TenantWorld, wav_bytes
from tests.unit.compliance.conftest import Cli


def test_a_drill_restores_every_table_blob_and_sealed_field_and_feeds_the_controls(
    cli: Cli, client: TestClient, settings: Settings, tenant_a: TenantWorld, tmp_path: Path
) -> None:
    posted = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/recordings",
        headers=tenant_a.auth("clinician"),
        files={"file": ("a.wav", wav_bytes(0.3), "audio/wav")},
    )
    assert posted.status_code == 202
    assert cli("admin", "validate-controls").code == 1  # no drill yet: a required control

    out = tmp_path / "drills"
    out.mkdir()
    ran = cli("admin", "backup-drill", str(out), "--json")
    assert ran.code == 0, ran.err
    result = json.loads(ran.out)
    assert result["ok"] and result["problems"] == []
    assert result["tables"]["patients"] == {"source": 1, "restored": 1}
    assert all(t["source"] == t["restored"] for t in result["tables"].values())
    assert result["audit"]["ok"] and result["audit"]["checked"] > 0
    assert result["blobs"]["count"] >= 1 and result["blobs"]["verified"] == result["blobs"]["count"]
    assert result["blobs"]["decrypted_sample"] >= 1
    assert result["encrypted_sample"]["checked"] > 0 and result["encrypted_sample"]["failed"] == 0
    assert [p.name for p in out.iterdir()] == [Path(result["file"]).name]

    passing = cli("admin", "validate-controls", "--json")
    assert passing.code == 0, passing.err
    report = json.loads(passing.out)
    drill = next(c for c in report["controls"] if c["id"] == "backup-drill")
    assert drill["status"] == "pass" and drill["required"]

    # A drill older than the policy no longer counts.
    latest = settings.evidence_dir / "backup-drill.json"
    stale = json.loads(latest.read_text())
    stale["finished_at"] = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    latest.write_text(json.dumps(stale))
    failing = cli("admin", "validate-controls")
    assert failing.code == 1
    assert failing.err.strip() == "clinscribe: error: required controls failing: backup-drill"
    assert "FAIL   * backup-drill" in failing.out
    assert cli("admin", "validate-controls", backup_drill_max_age_days="30").code == 0

    # A blob damaged at the source is copied faithfully, but the copy does not open: the drill
    # records the failure, and the controls report reads it.
    (blob,) = [p for p in settings.blob_dir.rglob("*") if p.is_file()]
    raw = bytearray(blob.read_bytes())
    raw[-1] ^= 0xFF
    blob.write_bytes(bytes(raw))
    broken = cli("admin", "backup-drill", str(out), "--json")
    assert broken.code == 1
    assert broken.err.startswith("clinscribe: error: backup drill failed: blob ")
    assert json.loads(broken.out)["ok"] is False
    assert "backup-drill" in cli("admin", "validate-controls").err


def test_a_missing_or_unwritable_drill_directory_is_a_one_line_error(
    cli: Cli, tmp_path: Path
) -> None:
    missing = cli("admin", "backup-drill", str(tmp_path / "nope"))
    assert missing.code == 1
    assert missing.err == f"clinscribe: error: no such directory: {tmp_path / 'nope'}\n"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    under_file = cli("admin", "backup-drill", str(a_file))
    assert under_file.code != 0 and under_file.err.count("\n") == 1
    no_scratch = cli("admin", "backup-drill", str(tmp_path), "--scratch", str(tmp_path / "gone"))
    assert no_scratch.code == 1 and "no such scratch directory" in no_scratch.err
