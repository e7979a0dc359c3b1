"""Tenant scoping is written once (security/scoping.py) and holds for every kind of stored row."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

import clinscribe
from clinscribe.accounts import service as accounts
from clinscribe.accounts.schemas import ApiKeyCreate, UserCreate
from clinscribe.config import Settings
from clinscribe.db.base import Base, utcnow
from clinscribe.db.models import (
    ApiKey,
    AuditEvent,
    EhrEndpoint,
    Encounter,
    ExtractionRecord,
    Job,
    Note,
    NoteTemplate,
    Patient,
    Recording,
    StreamSession,
    Transcript,
    User,
)
from clinscribe.db.session import session_scope
from clinscribe.errors import NotFound
from clinscribe.notes import templates
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable
from clinscribe.streaming import service as streams
from tests.support import TenantWorld, add_note, add_patient_and_encounter, add_recording, unique

SRC = Path(clinscribe.__file__).parent
HELPER = "security/scoping.py"
# Tenant comparisons that are not reads of stored rows: sign-in checks a credential's tenant
# against its user's, and a node compares the principals of the live sessions it holds.
NOT_QUERIES = {"accounts/auth.py", "streaming/sessions.py"}
# Modules of this round that still filter by tenant by hand (each filter is correct and tested
# for cross-tenant 404s); they are to move onto security.scoping, and the list only shrinks.
SCOPING_TO_MOVE = {
    "clinical/consent.py",
    "clinical/handover.py",
    "clinical/queries.py",
    "clinical/service.py",
    "clinical/summary.py",
    "openemr/sync.py",
}
# Whoever opens a session ends its transaction: the request (api/) or a unit of work.
SESSION_OWNERS = ("api/", "db/session.py")


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(SRC).as_posix(), ast.parse(path.read_text(), str(path)))
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def hand_written_tenant_checks(tree: ast.AST) -> list[int]:
    """Lines that compare a `tenant_id` by hand: `X.tenant_id == ...`, `row.tenant_id != ...`,
    `X.tenant_id.in_(...)`, `filter_by(tenant_id=...)`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Attribute) and o.attr == "tenant_id" for o in operands):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, target = node.func.attr, node.func.value
            on_column = isinstance(target, ast.Attribute) and target.attr == "tenant_id"
            by_keyword = any(k.arg == "tenant_id" for k in node.keywords)
            if (method in ("in_", "is_", "is_not", "not_in") and on_column) or (
                method == "filter_by" and by_keyword
            ):
                lines.append(node.lineno)
    return sorted(lines)


def transaction_ends(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]


def test_the_check_recognises_a_tenant_filter_written_by_hand() -> None:
    flagged = """
stmt = select(Note).where(Note.tenant_id == principal.tenant_id)
if row is None or row.tenant_id != principal.tenant_id:
    raise NotFound("x")
stmt = stmt.where(Job.tenant_id.in_(tenants))
rows = session.query(Job).filter_by(tenant_id=tenant)
"""
    allowed = """
row = Recording(tenant_id=principal.tenant_id, encounter_id=encounter_id)
stmt = readable(Note, principal).where(Note.encounter_id == encounter_id)
audit.record(session, tenant_id=tenant_id, action="x")
"""
    assert hand_written_tenant_checks(ast.parse(flagged)) == [2, 3, 5, 6]
    assert hand_written_tenant_checks(ast.parse(allowed)) == []
    assert transaction_ends(ast.parse("session.commit()\nsession.rollback()\n")) == [1, 2]


def test_no_module_filters_by_tenant_by_hand() -> None:
    modules = dict(_modules())
    exempt = NOT_QUERIES | SCOPING_TO_MOVE
    assert set(modules) >= exempt, "the exemptions name modules that no longer exist"
    offenders = {
        name: lines
        for name, tree in modules.items()
        if name != HELPER and name not in exempt
        for lines in [hand_written_tenant_checks(tree)]
        if lines
    }
    assert offenders == {}, f"use clinscribe.security.scoping instead: {offenders}"


def test_services_never_end_a_transaction() -> None:
    offenders = {
        name: lines
        for name, tree in _modules()
        if not name.startswith(SESSION_OWNERS)
        for lines in [transaction_ends(tree)]
        if lines
    }
    assert offenders == {}, f"only the session's owner commits or rolls back: {offenders}"


def _everything_of(settings: Settings, world: TenantWorld) -> dict[type[Base], object]:
    """One row of each tenant-owned kind, all belonging to `world`."""
    patient_id, encounter_id = add_patient_and_encounter(settings, world)
    recording_id, job_id = add_recording(settings, world, encounter_id)
    note_id, transcript_id = add_note(settings, world, encounter_id)
    admin = world.principal("admin")
    with session_scope(settings.resolved_database_url) as session:
        key, _ = accounts.create_api_key(
            session=session,
            settings=settings,
            tenant_id=world.id,
            data=ApiKeyCreate(name=unique("k"), scopes=["read"]),  # type: ignore[list-item]
        )
        templates.create_template(
            session=session,
            principal=admin,
            data={
                "key": (template_key := unique("t").lower()),
                "title": "Own",
                "sections": [{"key": "summary", "title": "Summary", "fact_kinds": ["plan"]}],
            },
        )
        stream_id = unique("s")
        streams.create_session(
            session=session,
            session_id=stream_id,
            principal=world.principal("clinician"),
            encounter_id=encounter_id,
            mode="dictation",
            encoding="pcm_s16le",
            sample_rate=16_000,
            spool_path=f"streams/{stream_id}",
            node="test",
            resume_until=utcnow(),
        )

        def id_of(model: type[Base], **where: object) -> object:
            stmt = select(model).filter_by(**where)
            return session.execute(stmt).scalars().first().id  # type: ignore[union-attr]

        return {
            Patient: patient_id,
            Encounter: encounter_id,
            Recording: recording_id,
            Job: job_id,
            Transcript: transcript_id,
            ExtractionRecord: id_of(ExtractionRecord, transcript_id=transcript_id),
            Note: note_id,
            User: world.users["reviewer"],
            ApiKey: key.id,
            NoteTemplate: id_of(NoteTemplate, key=template_key),
            EhrEndpoint: id_of(EhrEndpoint, tenant_id=world.id),
            StreamSession: stream_id,
            AuditEvent: id_of(AuditEvent, tenant_id=world.id),
        }


def test_another_tenants_rows_of_every_kind_look_absent(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    rows = _everything_of(settings, tenant_a)
    with session_scope(settings.resolved_database_url) as session:
        for model, object_id in rows.items():
            name = model.__name__
            found = get_readable(session, model, object_id, tenant_a.principal("admin"), what=name)
            assert found is not None, name
            with pytest.raises(NotFound) as caught:
                get_readable(session, model, object_id, tenant_b.principal("admin"), what=name)
            assert caught.value.message == f"{name} not found"
            listed = session.execute(readable(model, tenant_b.principal("admin"))).scalars()
            assert all(row.tenant_id == tenant_b.id for row in listed), name  # type: ignore[attr-defined]


def test_a_clinician_reads_only_what_hangs_off_their_own_encounters(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    rows = _everything_of(settings, tenant_a)
    with session_scope(settings.resolved_database_url) as session:
        other = accounts.create_user(
            session=session,
            tenant_id=tenant_a.id,
            data=UserCreate(email=f"{unique('c')}@example.org", role="clinician"),  # type: ignore[arg-type]
        )
    colleague = Principal(
        kind="user", tenant_id=tenant_a.id, actor_id=other.id, user_id=other.id, role="clinician"
    )
    granted = Principal(
        kind="user",
        tenant_id=tenant_a.id,
        actor_id=other.id,
        user_id=other.id,
        role="clinician",
        can_view_all_encounters=True,
    )
    under_encounters = (Encounter, Recording, Transcript, Note, StreamSession)
    with session_scope(settings.resolved_database_url) as session:
        for model in under_encounters:
            with pytest.raises(NotFound):
                get_readable(session, model, rows[model], colleague, what=model.__name__)
            assert session.execute(readable(model, colleague)).first() is None, model.__name__
            assert get_readable(session, model, rows[model], granted, what=model.__name__)
            assert get_readable(
                session, model, rows[model], tenant_a.principal("clinician"), what="own"
            )
        # Rows that do not hang off an encounter are the whole tenant's.
        for model in (Patient, Job, NoteTemplate):
            assert get_readable(session, model, rows[model], colleague, what=model.__name__)
