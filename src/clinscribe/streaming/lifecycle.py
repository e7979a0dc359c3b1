"""A live session's life apart from its connection: storing it, keeping it through a drop,
taking it over from another node, and storing what a dead node left behind.

The WebSocket router owns the connection and the protocol; everything here runs whether or not
a client is connected, so it is written against the node (`Node`) rather than a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from clinscribe.config import Settings
from clinscribe.security.principal import Principal
from clinscribe.storage.blobs import BlobStore
from clinscribe.streaming import service
from clinscribe.streaming.core.metrics import DROPPED
from clinscribe.streaming.core.protocol import StreamConfig, StreamError
from clinscribe.streaming.sessions import (
    CLOSE,
    HEARTBEAT_SECONDS,
    STALE_HEARTBEATS,
    DecoderFactory,
    LiveSession,
    StreamRegistry,
)

log = structlog.get_logger(__name__)
SWEEP_SECONDS = 60.0


@dataclass(frozen=True)
class Node:
    """What the session lifecycle needs from the running server."""

    registry: StreamRegistry
    settings: Settings
    blobs: BlobStore
    decoders: Callable[[str], DecoderFactory]  # a decoder factory for a session mode


async def store(
    node: Node, live: LiveSession, flush: Callable[[], Awaitable[None]] | None = None
) -> str:
    """Decode what is left, let `flush` send the last results, and store audio and transcript
    on the encounter; returns the transcript id."""
    registry = node.registry
    stop_heartbeat(live)
    try:
        await asyncio.to_thread(live.close_input)
        await asyncio.to_thread(live.decoder.finish)
        if flush is not None:
            live.outbox.put(CLOSE)
            with contextlib.suppress(Exception):
                await flush()
        # Off the event loop: a spool in the object store is read back part by part.
        wav = await asyncio.to_thread(live.spool.finish)
        transcript = live.decoder.transcript()
        transcript_id = await asyncio.to_thread(
            registry.run,
            lambda session: service.store(
                session=session,
                settings=node.settings,
                blobs=node.blobs,
                principal=live.principal,
                encounter_id=live.encounter_id,
                wav=wav,
                transcript=transcript,
                mode=live.config.mode,
            ),
        )
    except BaseException:
        # The spool stays on disk and the record past its window: a later sweep stores it.
        live.spool.close()
        raise
    finally:
        registry.remove(live)
    await record(registry, live, "stored", transcript_id=transcript_id)
    live.spool.discard()
    return transcript_id


async def record(registry: StreamRegistry, live: LiveSession, status: str, **fields: Any) -> bool:
    """Write the session's status and counts to its record; False if another node holds it."""
    samples, received = live.decoder.received, live.bytes_received
    return await asyncio.to_thread(
        registry.run,
        lambda session: service.touch(
            session=session,
            session_id=live.id,
            node=registry.node,
            status=status,
            samples_received=samples,
            bytes_received=received,
            **fields,
        ),
    )


async def _touch(registry: StreamRegistry, session_id: str, status: str) -> bool:
    """Set only the status of a session record this node holds (its own unit of work)."""
    return await asyncio.to_thread(
        registry.run,
        lambda session: service.touch(
            session=session, session_id=session_id, node=registry.node, status=status
        ),
    )


async def heartbeat(registry: StreamRegistry, live: LiveSession) -> None:
    """While connected: counts, a fresh resume window, and proof that this node is alive."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        ours = await record(registry, live, "live", resume_until=registry.resume_until())
        if not ours:
            live.lost = True
            return


def stop_heartbeat(live: LiveSession) -> None:
    if live.heartbeat is not None:
        live.heartbeat.cancel()
        live.heartbeat = None


async def take_over(
    node: Node, session_id: str, principal: Principal, config: StreamConfig
) -> LiveSession:
    """Resume a session this process does not hold: dropped on another node, or held by a
    process that died (its heartbeats stop; we wait for its record to go stale)."""
    registry = node.registry
    deadline = time.monotonic() + (STALE_HEARTBEATS + 1) * HEARTBEAT_SECONDS
    while True:
        claimed = await asyncio.to_thread(
            registry.run,
            lambda session: service.claim(
                session=session,
                session_id=session_id,
                principal=principal,
                node=registry.node,
                resume_until=registry.resume_until(),
                stale_before=registry.stale_before(),
            ),
        )
        if claimed is not None:
            break
        held = await asyncio.to_thread(
            registry.run,
            lambda session: service.held_elsewhere(
                session=session, session_id=session_id, principal=principal
            ),
        )
        if not held:
            raise StreamError(4404, "session_not_found", "no resumable session with that id")
        if time.monotonic() > deadline:
            raise StreamError(4409, "session_in_use", "the session is connected elsewhere")
        await asyncio.sleep(HEARTBEAT_SECONDS / 2)
    if claimed.encounter_id != config.encounter_id:
        # Hand it back as it was: detached, for its owner to resume properly.
        await _touch(registry, session_id, "detached")
        raise StreamError(4400, "bad_message", "the session belongs to another encounter")
    return await asyncio.to_thread(
        registry.restore,
        claimed,
        principal,
        config,
        node.decoders(claimed.mode),
        asyncio.get_running_loop(),
    )


def detach(node: Node, live: LiveSession) -> None:
    """Keep a dropped session for its resume window; past it, store what it has."""
    registry = node.registry
    if live.finishing or live.id not in registry.sessions:
        return
    live.connected = False
    stop_heartbeat(live)
    live.close_input()
    DROPPED.labels("resumable").inc()
    loop = asyncio.get_running_loop()

    async def expire() -> None:
        ours = await record(registry, live, "detached", resume_until=registry.resume_until())
        if ours:
            await asyncio.sleep(registry.limits.resume_seconds)
        if live.connected or live.finishing:
            return
        live.finishing = True
        # Claim it back before storing: another node may have resumed it meanwhile.
        ours = await _touch(registry, live.id, "live")
        if not ours:
            live.decoder.abandon()
            live.spool.close()
            registry.remove(live)
            return
        DROPPED.labels("expired").inc()
        # Audio already received is clinical data: keep it on the encounter, not in limbo.
        with contextlib.suppress(Exception):
            await store(node, live)

    live.expiry = loop.create_task(expire())


async def discard(registry: StreamRegistry, live: LiveSession) -> None:
    """Drop a session that cannot go on (its decoder failed): nothing is stored."""
    live.finishing = True
    stop_heartbeat(live)
    live.decoder.abandon()
    await asyncio.to_thread(live.close_input)
    await _touch(registry, live.id, "discarded")
    live.spool.discard()
    registry.remove(live)


def maybe_sweep(node: Node) -> None:
    """Now and then, store sessions whose node died and whose resume window has passed."""
    registry = node.registry
    if time.monotonic() - registry.last_sweep < SWEEP_SECONDS:
        return
    registry.last_sweep = time.monotonic()
    task = asyncio.get_running_loop().create_task(sweep(node))
    registry.sweeps.add(task)
    task.add_done_callback(registry.sweeps.discard)


async def sweep(node: Node) -> None:
    """Store every session past its resume window whose node stopped heartbeating."""
    registry = node.registry
    registry.last_sweep = time.monotonic()
    try:
        stale_before = registry.stale_before()
        ids = await asyncio.to_thread(
            registry.run,
            lambda session: service.orphans(session=session, stale_before=stale_before),
        )
        for session_id in ids:
            await _store_orphan(node, session_id)
    except Exception:
        log.exception("stream.sweep_failed")


async def _store_orphan(node: Node, session_id: str) -> None:
    """Claim one orphan for this node and store it for its owner (unless another node won)."""
    registry = node.registry
    stale_before = registry.stale_before()
    orphan = await asyncio.to_thread(
        registry.run,
        lambda session: service.take_orphan(
            session=session, session_id=session_id, node=registry.node, stale_before=stale_before
        ),
    )
    if orphan is None:
        return
    principal = await asyncio.to_thread(
        registry.run, lambda session: service.principal_of(session=session, record=orphan)
    )
    live = await asyncio.to_thread(
        registry.restore,
        orphan,
        principal,
        None,
        node.decoders(orphan.mode),
        asyncio.get_running_loop(),
    )
    live.finishing = True
    DROPPED.labels("expired").inc()
    await store(node, live)
