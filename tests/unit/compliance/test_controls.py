"""The controls report: what breaks a control, and the same report over the API."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from clinscribe.compliance import service
from clinscribe.compliance.checks_config import ALLOWLIST_COLUMN, MFA_COLUMN
from clinscribe.compliance.controls import REGISTRY, Context, register
from clinscribe.config import Settings
from clinscribe.db.models import Tenant
from clinscribe.db.session import session_scope
from tests.conftest import make_settings
from tests.support import TenantWorld
from tests.unit.compliance.conftest import Cli

KEY = "k2:" + base64.b64encode(bytes(range(32))).decode()


def statuses(settings: Settings) -> dict[str, str]:
    return {c.id: c.status for c in service.validate(settings).controls}


def test_every_control_names_its_requirement_and_reads_mfa_and_allowlists_per_tenant(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    report = service.validate(settings)
    for control in report.controls:
        assert control.requirements
        assert all(r.startswith(("HIPAA §164.3", "ASVS 4.0.3 V")) for r in control.requirements)
    found = statuses(settings)
    assert found["audit-chain"] == "pass"
    assert found["debug-off"] == "warn"  # the dev profile
    # MFA and allowlists are tenant policies: a build without them says so, never guesses.
    for control, column, value in (
        ("mfa", MFA_COLUMN, "admin,clinician"),
        ("ip-allowlist", ALLOWLIST_COLUMN, '["10.0.0.0/8"]'),
    ):
        if not hasattr(Tenant, column):
            assert found[control] == "absent"
            continue
        assert found[control] == "warn"  # the tenant has no such policy yet
        with session_scope(settings.resolved_database_url) as session:
            setattr(session.get(Tenant, tenant_a.id), column, value)
        assert statuses(settings)[control] == "pass"


def test_a_tampered_audit_row_fails_the_command_naming_the_row(
    cli: Cli, settings: Settings, tenant_a: TenantWorld
) -> None:
    only = {"required_controls": '["audit-chain"]'}
    assert cli("admin", "validate-controls", **only).code == 0
    with sqlite3.connect(settings.data_dir / "clinscribe.db") as db:
        db.execute("UPDATE audit_events SET action = 'tampered' WHERE id = 2")
    ran = cli("admin", "validate-controls", "--json", **only)
    assert ran.code == 1
    assert ran.err == "clinscribe: error: required controls failing: audit-chain\n"
    chain = next(c for c in json.loads(ran.out)["controls"] if c["id"] == "audit-chain")
    assert chain["status"] == "fail" and chain["evidence"]["first_bad_row"] == 2


def test_a_key_older_than_the_policy_fails_and_a_fresh_one_passes(
    cli: Cli, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = json.dumps([KEY])
    old = cli(
        "admin",
        "validate-controls",
        "--json",
        encryption_keys=keys,
        encryption_key_dates=json.dumps({"k2": "2020-01-31"}),
        required_controls='["key-age"]',
    )
    assert old.code == 1
    assert old.err == "clinscribe: error: required controls failing: key-age\n"
    age = next(c for c in json.loads(old.out)["controls"] if c["id"] == "key-age")
    assert age["status"] == "fail" and age["evidence"]["in_service_since"] == "2020-01-31"
    monkeypatch.delenv("CLINSCRIBE_ENCRYPTION_KEY_DATES")  # settings merge dicts from the env
    today = date.today().isoformat()
    fresh = make_settings(
        settings.data_dir, encryption_keys=[KEY], encryption_key_dates={"k2": today}
    )
    assert statuses(fresh)["key-age"] == "pass"
    undated = make_settings(settings.data_dir, encryption_keys=[KEY], encryption_key_dates={})
    assert statuses(undated)["key-age"] == "warn"


def test_placeholder_secrets_and_sql_echo_fail_their_controls(settings: Settings) -> None:
    weak = make_settings(settings.data_dir, jwt_secret="changeme", database_echo=True)
    found = statuses(weak)
    assert found["default-secrets"] == "fail" and found["debug-off"] == "fail"
    proxies = make_settings(settings.data_dir, trusted_proxies=["10.0.0.0/8"])
    assert statuses(proxies)["transport-security"] == "fail"  # a CIDR never matches a peer


def test_a_check_that_raises_is_reported_as_failed_not_hidden(settings: Settings) -> None:
    def broken(context: Context) -> tuple[str, dict[str, object]]:
        raise RuntimeError("boom")

    register("broken-check", "A check that raises", ("ASVS 4.0.3 V1.1.1",))(broken)  # type: ignore[arg-type]
    try:
        with session_scope(settings.resolved_database_url) as session:
            report = service.evaluate(settings, session, at=datetime.now(UTC))
    finally:
        del REGISTRY["broken-check"]
    result = next(c for c in report.controls if c.id == "broken-check")
    assert result.status == "fail" and result.evidence == {"error": "check failed: RuntimeError"}


def test_admins_get_the_same_report_over_the_api(client: TestClient, tenant_a: TenantWorld) -> None:
    for who in ("admin", "key_admin"):
        answer = client.get("/api/v1/admin/controls", headers=tenant_a.auth(who))
        assert answer.status_code == 200
        body = answer.json()
        assert [c["id"] for c in body["controls"]] == list(REGISTRY)
        assert body["failing_required"] == ["backup-drill"]
    denied = client.get("/api/v1/admin/controls", headers=tenant_a.auth("clinician"))
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    "command",
    ["validate-controls", "backup-drill", "evidence-pack", "verify-evidence-pack", "audit-deps"],
)
def test_every_evidence_command_answers_help(cli: Cli, command: str) -> None:
    ran = cli("admin", command, "--help")
    assert ran.code == 0 and "Usage:" in ran.out
