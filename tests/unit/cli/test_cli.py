"""The admin CLI per the contract: --help everywhere, --json, one-line errors and exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    [],
    ["serve"],
    ["worker"],
    ["db"],
    ["db", "upgrade"],
    ["admin"],
    ["admin", "create-tenant"],
    ["admin", "create-user"],
    ["admin", "create-api-key"],
    ["admin", "clear-ip-allowlist"],
    ["admin", "token"],
    ["admin", "verify-audit"],
    ["admin", "dlq"],
    ["extract"],
    ["deid"],
    ["transcribe"],
    ["note"],
    ["ingest"],
    ["admin", "import-records"],
]


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CLINSCRIBE_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    assert run(["db", "upgrade"], path).returncode == 0
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_answers_help(command: list[str], data_dir: Path) -> None:
    result = run([*command, "--help"], data_dir)
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_the_admin_flow_creates_a_tenant_user_key_and_token(data_dir: Path) -> None:
    tenant = run(["admin", "create-tenant", "Clinic One", "--json"], data_dir)
    assert tenant.returncode == 0, tenant.stderr
    tenant_id = json.loads(tenant.stdout)["id"]
    user = run(
        [
            "admin",
            "create-user",
            "--tenant",
            tenant_id,
            "--email",
            "doc@clinic.org",
            "--role",
            "clinician",
            "--password",
            "a-long-password-1",
        ],
        data_dir,
    )
    assert user.returncode == 0 and len(user.stdout.strip()) == 36
    key = run(
        [
            "admin",
            "create-api-key",
            "--tenant",
            tenant_id,
            "--name",
            "ehr",
            "--scopes",
            "read,write",
            "--rate-limit",
            "120",
            "--json",
        ],
        data_dir,
    )
    assert key.returncode == 0 and json.loads(key.stdout)["key"].startswith("csk_")
    assert json.loads(key.stdout)["rate_limit_per_minute"] == 120
    cleared = run(["admin", "clear-ip-allowlist", "--tenant", tenant_id, "--json"], data_dir)
    assert cleared.returncode == 0 and json.loads(cleared.stdout)["cleared"] == 0
    token = run(["admin", "token", "--email", "doc@clinic.org", "--json"], data_dir)
    assert token.returncode == 0 and json.loads(token.stdout)["token_type"] == "bearer"
    verify = run(["admin", "verify-audit", "--json"], data_dir)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (
            ["admin", "create-user", "--tenant", "x", "--email", "a@b.org", "--role", "nurse"],
            "--role",
        ),
        (
            [
                "admin",
                "create-user",
                "--tenant",
                "missing",
                "--email",
                "a@b.org",
                "--role",
                "admin",
            ],
            "tenant not found",
        ),
        (
            ["admin", "create-user", "--tenant", "x", "--email", "not-an-email", "--role", "admin"],
            "email",
        ),
        (
            [
                "admin",
                "create-user",
                "--tenant",
                "x",
                "--email",
                "a@b.org",
                "--role",
                "admin",
                "--password",
                "short",
            ],
            "password",
        ),
        (["admin", "create-api-key", "--tenant", "x", "--name", "k", "--scopes", "root"], "scopes"),
        (
            ["admin", "create-api-key", "--tenant", "x", "--name", "k", "--rate-limit", "0"],
            "rate_limit_per_minute",
        ),
        (["admin", "clear-ip-allowlist", "--tenant", "missing"], "tenant not found"),
        (["admin", "token", "--email", "ghost@nowhere.org"], "no active user"),
        (["admin", "create-tenant"], "Missing argument"),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_a_nonzero_exit(
    args: list[str], phrase: str, data_dir: Path
) -> None:
    result = run(args, data_dir)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("clinscribe: error:") and phrase in lines[0]


def test_prod_profile_refuses_to_start_unsafely(data_dir: Path) -> None:
    result = run(["db", "upgrade"], data_dir, CLINSCRIBE_PROFILE="prod")
    assert result.returncode == 2
    assert "unsafe prod configuration" in result.stderr and "SQLite" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_setting_is_named_in_one_line_without_its_value(data_dir: Path) -> None:
    result = run(["admin", "purge", "--dry-run"], data_dir, CLINSCRIBE_RETENTION_PURGE_HOURS="-7.5")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "CLINSCRIBE_RETENTION_PURGE_HOURS" in lines[0], result.stderr
    assert "-7.5" not in lines[0]
    result = run(["serve"], data_dir, CLINSCRIBE_JOB_MAX_ATTEMPTS="many")
    assert result.returncode == 2 and "CLINSCRIBE_JOB_MAX_ATTEMPTS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_worker_needs_an_external_broker(data_dir: Path) -> None:
    result = run(["worker"], data_dir)
    assert result.returncode == 1 and "no external broker" in result.stderr


def test_commands_on_an_unmigrated_or_unreachable_database_fail_in_one_line(tmp_path: Path) -> None:
    fresh = run(["admin", "dlq"], tmp_path / "never-migrated")
    assert fresh.returncode == 1 and "clinscribe db upgrade" in fresh.stderr
    assert len(fresh.stderr.strip().splitlines()) == 1
    down = run(
        ["admin", "verify-audit"], tmp_path, CLINSCRIBE_DATABASE_URL="postgresql://x@127.0.0.1:1/x"
    )
    assert down.returncode == 1 and "database unavailable" in down.stderr


def test_the_dead_letter_command_lists_and_refuses_unknown_ids(data_dir: Path) -> None:
    listed = run(["admin", "dlq", "--json"], data_dir)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    unknown = run(["admin", "dlq", "--replay", "no-such-job"], data_dir)
    assert unknown.returncode == 1 and "dead letter not found" in unknown.stderr


def test_the_note_command_writes_a_valid_fhir_bundle(tmp_path: Path, data_dir: Path) -> None:
    text = tmp_path / "dictation.txt"
    text.write_text("Assessment: hypertension. Plan: continue lisinopril 10 mg daily.")
    out = tmp_path / "bundle.json"
    result = run(["note", str(text), "--fhir", str(out), "--mrn", "000123"], data_dir)
    assert result.returncode == 0, result.stderr
    bundle = json.loads(out.read_text())
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert (
        bundle["type"] == "transaction" and "DocumentReference" in kinds and "Composition" in kinds
    )
    assert all("ifNoneExist" in e["request"] for e in bundle["entry"])
    unwritable = run(
        ["note", str(text), "--fhir", str(tmp_path / "no" / "dir" / "b.json")], data_dir
    )
    assert unwritable.returncode != 0 and len(unwritable.stderr.strip().splitlines()) == 1
