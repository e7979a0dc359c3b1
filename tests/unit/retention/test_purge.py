"""The purge: export everything first, verify it, then delete; hold undelivered signed notes."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinscribe.config import Settings
from clinscribe.db.models import (
    AuditEvent,
    Encounter,
    ExtractionRecord,
    Job,
    Note,
    NoteVersion,
    Patient,
    Recording,
    Transcript,
)
from clinscribe.db.session import session_scope
from clinscribe.errors import Conflict, NotFound
from clinscribe.retention import export, service
from clinscribe.retention.export import ExportFailed
from clinscribe.retention.schemas import PurgeReport
from tests.support import TenantWorld
from tests.unit.retention.common import (
    age,
    blob_store,
    full_encounter,
    mark_delivered,
    queue_delivery,
    set_retention,
)


def run_purge(settings: Settings, root: Path, **options: object) -> PurgeReport:
    with session_scope(settings.resolved_database_url) as session:
        return service.purge(
            session=session,
            blobs=blob_store(settings),
            export_root=root,
            **options,  # type: ignore[arg-type]
        )


def count(settings: Settings, model: type, **where: str) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    with session_scope(settings.resolved_database_url) as session:
        return int(session.execute(stmt).scalar_one())


def blob_key(settings: Settings, recording_id: str) -> str:
    with session_scope(settings.resolved_database_url) as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None and recording.blob_key
        return recording.blob_key


def jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_expired_encounter_is_exported_verified_then_deleted_with_its_audio(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    recent = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=41)
    set_retention(settings, tenant_a, 30)
    key = blob_key(settings, old["recording"])
    audio = blob_store(settings).open(key).read()
    versions = count(settings, NoteVersion, note_id=old["note"])
    root = settings.data_dir / "exports"

    report = run_purge(settings, root)

    assert (report.due, report.purged, report.held) == (1, 1, 0)
    counts = report.tenants[0].counts
    assert counts["encounters"] == 1 and counts["recordings"] == 2  # the audio and the text
    assert counts["transcripts"] == 1 and counts["extractions"] == 1
    assert counts["notes"] == 1 and counts["note_versions"] == versions >= 1
    assert counts["audio_files"] == 1 and counts["audio_bytes"] == len(audio)
    run = Path(str(report.export_dir))
    manifest = json.loads((run / "manifest.json").read_text())
    assert set(manifest["files"]) >= {
        "encounters.jsonl",
        "patients.jsonl",
        "recordings.jsonl",
        "transcripts.jsonl",
        "extractions.jsonl",
        "notes.jsonl",
        "note_versions.jsonl",
        "jobs.jsonl",
        f"audio/{old['recording']}",
    }
    assert report.exported_files == len(manifest["files"])
    assert manifest["tenants"][0]["encounters"] == [old["encounter"]]
    # The verify step: every file re-hashed against the manifest.
    checked = export.verify(run)
    assert checked.ok and checked.checked == len(manifest["files"]), checked.problems
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((run / name).read_bytes()).hexdigest() == entry["sha256"]
    # The export holds the content, decrypted, and the audio exactly as it was uploaded.
    assert (run / "audio" / old["recording"]).read_bytes() == audio
    recording_rows = {r["id"]: r for r in jsonl(run / "recordings.jsonl")}
    exported_audio = recording_rows[old["recording"]]["audio"]
    assert isinstance(exported_audio, dict) and exported_audio["matches_intake_sha256"] is True
    assert "chest pain" in str(jsonl(run / "transcripts.jsonl")[0]["text"])
    assert {v["note_id"] for v in jsonl(run / "note_versions.jsonl")} == {old["note"]}
    assert jsonl(run / "patients.jsonl")[0]["mrn"]
    assert {j["id"] for j in jsonl(run / "jobs.jsonl")} >= {old["job"]}
    # Private: the run directory 0700, every file 0600.
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    assert stat.S_IMODE((run / "audio").stat().st_mode) == 0o700
    assert all(stat.S_IMODE((run / n).stat().st_mode) == 0o600 for n in manifest["files"])
    assert stat.S_IMODE((run / "manifest.json").stat().st_mode) == 0o600

    # Deleted: rows of every kind, the audio file, the jobs; the recent encounter untouched.
    assert count(settings, Encounter, id=old["encounter"]) == 0
    assert count(settings, Recording, encounter_id=old["encounter"]) == 0
    assert count(settings, Transcript, encounter_id=old["encounter"]) == 0
    assert count(settings, ExtractionRecord, transcript_id=old["transcript"]) == 0
    assert count(settings, Note, encounter_id=old["encounter"]) == 0
    assert count(settings, NoteVersion, note_id=old["note"]) == 0
    assert count(settings, Job, id=old["job"]) == 0
    assert not blob_store(settings).exists(key)
    assert count(settings, Encounter, id=recent["encounter"]) == 1
    assert blob_store(settings).exists(blob_key(settings, recent["recording"]))
    # The patient is referenced, not purged: they may come back.
    assert count(settings, Patient, tenant_id=tenant_a.id) >= 1


def test_each_purged_encounter_is_audited_without_phi(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=10, created_days=10)
    set_retention(settings, tenant_a, 7)
    run_purge(settings, settings.data_dir / "exports")
    with session_scope(settings.resolved_database_url) as session:
        rows = list(
            session.execute(select(AuditEvent).where(AuditEvent.action == "encounter.purge"))
            .scalars()
            .all()
        )
        mrns = [p.mrn for p in session.execute(select(Patient)).scalars()]
    assert [(r.object_type, r.object_id, r.tenant_id) for r in rows] == [
        ("encounter", old["encounter"], tenant_a.id)
    ]
    assert rows[0].actor_type == "system" and rows[0].actor_id == service.SYSTEM_ACTOR
    text = json.dumps(
        [[getattr(r, c) for c in ("actor_id", "object_id", "request_id")] for r in rows]
    )
    assert not any(mrn in text for mrn in mrns)
    assert "Testpatient" not in text and "chest" not in text


def test_a_second_run_finds_nothing_and_writes_no_export(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    root = settings.data_dir / "exports"
    first = run_purge(settings, root)
    second = run_purge(settings, root)
    assert first.purged == 1
    assert (second.due, second.purged, second.export_dir) == (0, 0, None)
    assert len(list(root.iterdir())) == 1


def test_a_dry_run_counts_what_is_due_and_changes_nothing(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    root = settings.data_dir / "exports"
    audit_before = count(settings, AuditEvent)

    report = run_purge(settings, root, dry_run=True)

    assert report.dry_run and (report.due, report.purged) == (1, 0)
    assert report.tenants[0].counts["encounters"] == 1
    assert report.tenants[0].counts["audio_files"] == 1
    assert report.export_dir is None and not root.exists()
    assert count(settings, Encounter, id=old["encounter"]) == 1
    assert blob_store(settings).exists(blob_key(settings, old["recording"]))
    assert count(settings, AuditEvent) == audit_before


def test_a_signed_note_not_yet_delivered_holds_its_encounter_until_delivered(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    signed = full_encounter(settings, tenant_a, note_state="signed")
    age(settings, signed["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    root = settings.data_dir / "exports"

    never_queued = run_purge(settings, root)  # no EHR delivery even attempted
    assert (never_queued.due, never_queued.purged, never_queued.held) == (1, 0, 1)
    assert never_queued.tenants[0].held == [signed["encounter"]]
    assert never_queued.export_dir is None

    queue_delivery(settings, tenant_a, signed["note"])
    pending = run_purge(settings, root)
    assert (pending.purged, pending.held) == (0, 1)
    assert count(settings, Note, id=signed["note"]) == 1
    assert not root.exists()

    mark_delivered(settings, signed["note"])
    released = run_purge(settings, root)
    assert (released.purged, released.held) == (1, 0)
    assert released.tenants[0].counts["deliveries"] == 1
    assert count(settings, Encounter, id=signed["encounter"]) == 0


def test_an_encounter_that_never_ended_counts_from_its_creation(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    never_ended = full_encounter(settings, tenant_a)
    ended_lately = full_encounter(settings, tenant_a)
    age(settings, never_ended["encounter"], ended_days=None, created_days=40)
    age(settings, ended_lately["encounter"], ended_days=5, created_days=400)
    set_retention(settings, tenant_a, 30)
    report = run_purge(settings, settings.data_dir / "exports", dry_run=True)
    assert report.due == 1
    live = run_purge(settings, settings.data_dir / "exports")
    assert live.purged == 1
    assert count(settings, Encounter, id=never_ended["encounter"]) == 0
    assert count(settings, Encounter, id=ended_lately["encounter"]) == 1


def test_tenants_without_retention_keep_everything(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    a_old = full_encounter(settings, tenant_a)
    b_old = full_encounter(settings, tenant_b)
    for ids in (a_old, b_old):
        age(settings, ids["encounter"], ended_days=400, created_days=400)
    set_retention(settings, tenant_a, 30)
    report = run_purge(settings, settings.data_dir / "exports")
    assert [t.tenant_id for t in report.tenants] == [tenant_a.id]
    assert count(settings, Encounter, id=a_old["encounter"]) == 0
    assert count(settings, Encounter, id=b_old["encounter"]) == 1


def test_an_unwritable_export_directory_deletes_nothing(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    # A file where the export directory should be: no run directory can be made under it
    # (a mode-0500 directory would not stop root, which the test may run as).
    blocked = settings.data_dir / "exports"
    blocked.write_text("not a directory\n")

    with pytest.raises(ExportFailed) as caught:
        run_purge(settings, blocked)

    assert "nothing was deleted" in caught.value.message
    assert "\n" not in caught.value.message
    assert count(settings, Encounter, id=old["encounter"]) == 1
    assert count(settings, NoteVersion, note_id=old["note"]) >= 1
    assert blob_store(settings).exists(blob_key(settings, old["recording"]))
    assert count(settings, AuditEvent) > 0
    assert (
        count(settings, AuditEvent, action="encounter.purge")
        + count(settings, AuditEvent, action="encounter.delete")
        == 0
    )


def test_a_failure_part_way_through_the_export_removes_it_and_deletes_nothing(
    settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)

    def disk_full(*_: object) -> tuple[str, int]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.ExportRun, "copy_audio", disk_full)
    root = settings.data_dir / "exports"
    with pytest.raises(ExportFailed, match="No space left on device"):
        run_purge(settings, root)
    assert list(root.iterdir()) == []  # the half-written run is gone
    assert count(settings, Encounter, id=old["encounter"]) == 1
    assert blob_store(settings).exists(blob_key(settings, old["recording"]))


def test_an_export_that_does_not_verify_deletes_nothing(
    settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    close = export.ExportRun.close

    def close_then_corrupt(self: export.ExportRun, meta: dict[str, object]) -> object:
        manifest = close(self, meta)
        with (self.path / "notes.jsonl").open("ab") as handle:
            handle.write(b"{}\n")  # as a failing disk or a concurrent writer might
        return manifest

    monkeypatch.setattr(export.ExportRun, "close", close_then_corrupt)
    with pytest.raises(ExportFailed, match=r"notes\.jsonl: size differs"):
        run_purge(settings, settings.data_dir / "exports")
    assert count(settings, Encounter, id=old["encounter"]) == 1


def test_verify_names_missing_and_altered_files(settings: Settings, tenant_a: TenantWorld) -> None:
    old = full_encounter(settings, tenant_a)
    age(settings, old["encounter"], ended_days=40, created_days=40)
    set_retention(settings, tenant_a, 30)
    run = Path(str(run_purge(settings, settings.data_dir / "exports").export_dir))
    assert export.verify(run).ok
    (run / "audio" / old["recording"]).write_bytes(b"RIFF....")
    (run / "transcripts.jsonl").unlink()
    result = export.verify(run)
    assert not result.ok
    assert sorted(result.problems) == [
        f"audio/{old['recording']}: size differs",
        "transcripts.jsonl: missing",
    ]
    (run / "manifest.json").write_text("{")
    assert export.verify(run).problems == ["manifest.json: unreadable (JSONDecodeError)"]


def test_asking_for_an_unknown_tenant_or_one_without_retention_is_refused(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    with pytest.raises(NotFound, match="no tenant with id nope"):
        run_purge(settings, settings.data_dir / "exports", tenant_id="nope")
    with pytest.raises(Conflict, match="no retention period"):
        run_purge(settings, settings.data_dir / "exports", tenant_id=tenant_a.id)
