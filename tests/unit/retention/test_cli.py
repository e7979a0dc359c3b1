"""`clinscribe admin purge`: one summary line (or --json), one-line errors, non-zero exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from clinscribe.config import Settings
from clinscribe.db.models import Encounter
from clinscribe.db.session import session_scope
from tests.conftest import TEST_SECRET
from tests.support import TenantWorld
from tests.unit.retention.common import age, full_encounter, set_retention


def purge(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLINSCRIBE_DATA_DIR": str(settings.data_dir),
        "CLINSCRIBE_JWT_SECRET": TEST_SECRET,
        "CLINSCRIBE_API_KEY_PEPPER": TEST_SECRET + "-pepper",
    }
    return subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", "admin", "purge", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def exists(settings: Settings, encounter_id: str) -> bool:
    with session_scope(settings.resolved_database_url) as session:
        return session.get(Encounter, encounter_id) is not None


def test_dry_run_then_purge_print_one_summary_line_each(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    held = full_encounter(settings, tenant_a, note_state="signed")
    for ids in (old, held):
        age(settings, ids["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)

    dry = purge(settings, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "dry run: 1 of 2 due encounters would be purged (1 tenant; 1 held: signed note not "
        "delivered); nothing exported or deleted"
    ]
    assert exists(settings, old["encounter"])

    done = purge(settings, "--tenant", tenant_a.id, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["due"], summary["purged"], summary["held"]) == (2, 1, 1)
    assert summary["tenants"][0]["held"] == [held["encounter"]]
    assert summary["totals"]["encounters"] == 1 and summary["exported_files"] >= 9
    assert summary["export_dir"].startswith(str(settings.data_dir / "exports"))
    assert not exists(settings, old["encounter"]) and exists(settings, held["encounter"])

    again = purge(settings)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        "nothing to purge (1 tenant checked; 1 held: signed note not delivered)"
    )


def test_bad_input_is_one_line_on_stderr_with_a_nonzero_exit(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    unknown = purge(settings, "--tenant", "no-such-tenant")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "clinscribe: error: no tenant with id no-such-tenant"
    assert unknown.stdout == ""

    unset = purge(settings, "--tenant", tenant_a.id)
    assert unset.returncode == 1
    assert unset.stderr.count("\n") == 1 and "no retention period set" in unset.stderr

    typo = purge(settings, "--dry-rn")
    assert typo.returncode == 2 and typo.stderr.count("\n") == 1


def test_an_unwritable_export_directory_is_one_line_and_deletes_nothing(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    blocked = settings.data_dir / "not-a-dir"
    blocked.write_text("x")
    result = purge(settings, "--export-dir", str(blocked))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("clinscribe: error: cannot write the purge export")
    assert result.stderr.strip().endswith("nothing was deleted")
    assert exists(settings, old["encounter"])


def test_help_describes_the_options(settings: Settings) -> None:
    result = purge(settings, "--help")
    assert result.returncode == 0
    for option in ("--dry-run", "--tenant", "--export-dir", "--json"):
        assert option in result.stdout
