"""The signed evidence pack: what it holds, that it verifies, that tampering does not."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest

from clinscribe.compliance import redact, signing
from clinscribe.config import Settings
from clinscribe.db.models import ApiKey
from clinscribe.db.session import session_scope
from clinscribe.retention.export import ExportRun
from tests.conftest import TEST_SECRET, make_settings
from tests.support import TenantWorld
from tests.unit.compliance.conftest import Cli


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(path: Path, out: Path, changes: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in {**members(path), **changes}.items():
            archive.writestr(name, data)
    return out


@pytest.fixture
def pack(cli: Cli, settings: Settings, tenant_a: TenantWorld, tmp_path: Path) -> Path:
    run = ExportRun(settings.data_dir / "exports", "purge-20260101T000000Z-0a1b2c3d")
    run.open()
    run.write("encounters", {"id": "enc-1", "tenant_id": tenant_a.id})
    run.close({"kind": "clinscribe-purge-export", "run_id": "0a1b2c3d"})
    with session_scope(settings.resolved_database_url) as session:
        for key in session.query(ApiKey).filter(ApiKey.tenant_id == tenant_a.id):
            key.rate_limit_per_minute = 120 if key.scopes == "admin" else None
    out = tmp_path / "pack.zip"
    ran = cli("admin", "evidence-pack", str(out), "--json")
    assert ran.code == 0, ran.err
    assert "generated a new evidence signing key" in ran.err
    return out


def test_the_pack_holds_the_evidence_and_verifies_with_the_printed_key(
    cli: Cli, pack: Path, settings: Settings, tenant_a: TenantWorld
) -> None:
    contents = members(pack)
    assert {
        "settings.json",
        "controls.json",
        "audit-chain.json",
        "access-review.json",
        "retention/tenants.json",
        "retention/runs.json",
        "retention/runs/purge-20260101T000000Z-0a1b2c3d/manifest.json",
        "signing-key.pub",
        "MANIFEST.json",
        "MANIFEST.sig",
    } <= set(contents)
    chain = json.loads(contents["audit-chain.json"])
    assert chain["ok"] and len(chain["head_hash"]) == 64
    retention = json.loads(contents["retention/runs.json"])
    assert retention["audited_purges"] == {"action": "encounter.purge", "events": 0, "last": None}
    runs = retention["runs"]
    assert runs == [
        {"run": "purge-20260101T000000Z-0a1b2c3d", "verified": True, "files": 1, "problems": []}
    ]
    (review,) = json.loads(contents["access-review.json"])
    assert review["tenant_id"] == tenant_a.id
    assert {u["role"] for u in review["users"]} == {"clinician", "reviewer", "admin"}
    assert {tuple(k["scopes"]) for k in review["api_keys"]} == {("read",), ("write",), ("admin",)}
    limits = {k["scopes"][0]: k["rate_limit_per_minute"] for k in review["api_keys"]}
    assert limits == {"read": None, "write": None, "admin": 120}
    manifest = json.loads(contents["MANIFEST.json"])
    assert set(manifest["files"]) == set(contents) - {"MANIFEST.json", "MANIFEST.sig"}

    key = manifest["public_key"]
    good = cli("admin", "verify-evidence-pack", str(pack), "--public-key", key)
    assert good.code == 0, good.err
    assert good.out.startswith("evidence pack intact")
    # The same key signs the next pack: it was kept, not generated again.
    again = cli("admin", "evidence-pack", str(pack.with_name("second.zip")), "--json")
    assert json.loads(again.out)["public_key"] == key and again.err == ""


def test_no_secret_or_patient_detail_appears_anywhere_in_the_pack(
    pack: Path, settings: Settings, tenant_a: TenantWorld
) -> None:
    secrets = [TEST_SECRET, TEST_SECRET + "-pepper", *tenant_a.tokens.values()]
    secrets += [p.read_text().strip() for p in (settings.data_dir / "secrets").iterdir()]
    secrets += ["Testpatient"]  # the fixture patient's family name: PHI stays out too
    blob = b"\n".join(members(pack).values())
    for secret in secrets:
        assert secret.encode() not in blob
    for line in (settings.data_dir / "secrets" / signing.KEY_FILE).read_text().splitlines():
        if not line.startswith("-----"):
            assert line.encode() not in blob


def test_settings_redaction_keeps_key_ids_and_hides_material_and_url_passwords(
    settings: Settings,
) -> None:
    key = "k7:" + base64.b64encode(b"\x01" * 32).decode()
    configured = make_settings(
        settings.data_dir,
        encryption_keys=[key],
        redis_url="redis://:hunter2-redis@127.0.0.1:6379/0",
        broker_url="amqp://guest:hunter2-amqp@127.0.0.1:5672/",
        evidence_signing_key="-----BEGIN PRIVATE KEY-----hunter2",
    )
    text = json.dumps(redact.effective_settings(configured), default=str)
    assert "hunter2" not in text and key.split(":")[1] not in text
    assert '"CLINSCRIBE_ENCRYPTION_KEYS": ["k7:<redacted>"]' in text
    assert "amqp://guest:<redacted>@127.0.0.1:5672/" in text


def test_a_changed_file_an_extra_file_or_another_key_fails_verification(
    cli: Cli, pack: Path, tmp_path: Path
) -> None:
    manifest = json.loads(members(pack)["MANIFEST.json"])
    changed = rewrite(pack, tmp_path / "changed.zip", {"controls.json": b'{"ok": true}'})
    ran = cli("admin", "verify-evidence-pack", str(changed))
    assert ran.code == 1
    assert ran.err == (
        "clinscribe: error: evidence pack does not verify: "
        "controls.json: SHA-256 differs from the manifest\n"
    )
    extra = rewrite(pack, tmp_path / "extra.zip", {"notes.txt": b"added later"})
    assert "notes.txt: not in the manifest" in cli("admin", "verify-evidence-pack", str(extra)).err

    # Re-hashing the changed file into the manifest breaks the signature instead.
    forged = dict(manifest)
    forged["files"] = {**manifest["files"], "controls.json": {"sha256": "0" * 64, "size": 1}}
    resigned = rewrite(
        pack, tmp_path / "forged.zip", {"MANIFEST.json": json.dumps(forged).encode()}
    )
    ran = cli("admin", "verify-evidence-pack", str(resigned))
    assert ran.code == 1 and "the signature does not verify" in ran.err

    other = signing.public_b64(signing._generate(tmp_path / "other.pem").public_key())
    wrong_key = cli("admin", "verify-evidence-pack", str(pack), "--public-key", other)
    assert wrong_key.code == 1 and "signature does not verify" in wrong_key.err


def test_bad_pack_inputs_are_one_line_errors(cli: Cli, settings: Settings, tmp_path: Path) -> None:
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    cases = [
        (("evidence-pack", str(a_file / "out.zip")), "cannot write"),
        (("evidence-pack", str(tmp_path)), "is a directory"),
        (("verify-evidence-pack", str(tmp_path / "none.zip")), "no such evidence pack"),
        (("verify-evidence-pack", str(junk)), "is not a readable zip"),
        (("verify-evidence-pack", str(junk), "--public-key", "not-a-key"), "is not a readable"),
    ]
    for args, message in cases:
        ran = cli("admin", *args)
        assert ran.code == 1 and message in ran.err and ran.err.count("\n") == 1, ran.err
    bad_key = cli("admin", "evidence-pack", str(tmp_path / "p.zip"), evidence_signing_key="nope")
    assert bad_key.code == 1
    assert bad_key.err == (
        "clinscribe: error: CLINSCRIBE_EVIDENCE_SIGNING_KEY is not a PEM private key "
        "without a passphrase\n"
    )
