"""The stream services leave the commit to the session's owner, one unit of work at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import StreamSession, StreamToken
from clinscribe.db.session import get_sessionmaker
from clinscribe.security import crypto
from clinscribe.security.principal import Principal
from clinscribe.streaming import service
from clinscribe.streaming.core.limits import StreamLimits
from clinscribe.streaming.sessions import StreamRegistry
from tests.support import TenantWorld, unique


def _registry(settings: Settings) -> StreamRegistry:
    makers = get_sessionmaker(settings.resolved_database_url)
    return StreamRegistry(StreamLimits(), makers, settings.data_dir, crypto.key_ring(settings))


def _open(registry: StreamRegistry, principal: Principal, encounter_id: str) -> str:
    session_id = unique("s")
    registry.run(
        lambda session: service.create_session(
            session=session,
            session_id=session_id,
            principal=principal,
            encounter_id=encounter_id,
            mode="dictation",
            encoding="pcm_s16le",
            sample_rate=16_000,
            spool_path=f"streams/{session_id}",
            node=registry.node,
            resume_until=utcnow() + timedelta(minutes=5),
        )
    )
    return session_id


def _status(registry: StreamRegistry, session_id: str) -> str | None:
    with registry.makers() as session:
        row = session.get(StreamSession, session_id)
        return None if row is None else row.status


def test_stream_services_write_nothing_until_their_caller_commits(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    registry = _registry(settings)
    principal = tenant_a.principal("clinician")
    with registry.makers() as session:
        service.create_session(
            session=session,
            session_id="uncommitted",
            principal=principal,
            encounter_id=tenant_a.encounter_id,
            mode="dictation",
            encoding="pcm_s16le",
            sample_rate=16_000,
            spool_path="streams/uncommitted",
            node=registry.node,
            resume_until=utcnow(),
        )
        service.mint_token(session=session, principal=principal, seconds=60)
        session.rollback()
    assert _status(registry, "uncommitted") is None
    with registry.makers() as session:
        assert session.execute(select(StreamToken)).first() is None

    session_id = _open(registry, principal, tenant_a.encounter_id)
    assert _status(registry, session_id) == "live"
    ours = registry.run(
        lambda session: service.touch(
            session=session, session_id=session_id, node=registry.node, status="detached"
        )
    )
    assert ours and _status(registry, session_id) == "detached"

    def touch_then_fail(session: Session) -> None:
        service.touch(session=session, session_id=session_id, node=registry.node, status="live")
        raise RuntimeError("the unit of work failed")

    with pytest.raises(RuntimeError):
        registry.run(touch_then_fail)
    assert _status(registry, session_id) == "detached"  # rolled back as one


def test_only_the_owner_of_a_dropped_session_can_claim_it(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    registry = _registry(settings)
    owner = tenant_a.principal("clinician")
    session_id = _open(registry, owner, tenant_a.encounter_id)
    registry.run(
        lambda session: service.touch(
            session=session, session_id=session_id, node=registry.node, status="detached"
        )
    )
    same_actor_elsewhere = Principal(
        kind="user",
        tenant_id=tenant_b.id,
        actor_id=owner.actor_id,
        user_id=owner.user_id,
        role="clinician",
    )

    def claim(principal: Principal) -> service.SessionRecord | None:
        return registry.run(
            lambda session: service.claim(
                session=session,
                session_id=session_id,
                principal=principal,
                node="another-node",
                resume_until=utcnow() + timedelta(minutes=5),
                stale_before=utcnow(),
            )
        )

    for stranger in (tenant_a.principal("admin"), same_actor_elsewhere):
        assert claim(stranger) is None
        assert not registry.run(
            lambda session, who=stranger: service.held_elsewhere(
                session=session, session_id=session_id, principal=who
            )
        )
    assert _status(registry, session_id) == "detached"
    record = claim(owner)
    assert record is not None and record.id == session_id
    assert record.encounter_id == tenant_a.encounter_id
    assert _status(registry, session_id) == "live"
    assert registry.run(
        lambda session: service.held_elsewhere(
            session=session, session_id=session_id, principal=owner
        )
    )
