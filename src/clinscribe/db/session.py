"""Engines and sessions. One engine per URL per process; one session per unit of work."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from clinscribe.db import dialects
from clinscribe.observability import tracing
from clinscribe.observability.metrics import watch_pool


def _configure_sqlite(engine: Engine) -> None:
    # BEGIN IMMEDIATE: every request writes (at least an audit row), and a deferred
    # transaction that later upgrades to a write fails under concurrency instead of waiting.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite admits one writer at a time and its busy handler polls with growing sleeps, which
    # turns contention into long tail latency. Queue writers on a lock in-process instead; the
    # busy timeout still covers other processes (CLI commands) touching the same file.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.info["holds_writer"] = writer.acquire(timeout=30)
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _release(conn: Any) -> None:
        if conn.info.pop("holds_writer", False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def get_engine(url: str, echo: bool = False) -> Engine:
    """The process-wide engine for `url` (one cache key however `echo` is passed)."""
    return _engine(url, bool(echo))


@lru_cache(maxsize=32)
def _engine(url: str, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
    else:
        url = dialects.normalise_url(url)
        engine = create_engine(url, echo=echo, **dialects.engine_options(url))
    watch_pool(engine.pool)
    tracing.instrument_engine(engine)
    return engine


def get_sessionmaker(url: str, echo: bool = False) -> sessionmaker[Session]:
    return _sessionmaker(url, bool(echo))


@lru_cache(maxsize=32)
def _sessionmaker(url: str, echo: bool) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url, echo), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on error (CLI commands and jobs)."""
    with unit_of_work(get_sessionmaker(url)) as session:
        yield session


@contextmanager
def unit_of_work(makers: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: a new session, committed once if the block succeeds, rolled back if
    it raises. The owner of a session commits; the services it calls never do."""
    session = makers()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_AFTER_COMMIT = "clinscribe.after_commit"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once this session's transaction commits (dropped on rollback).

    For effects outside the database that must not happen unless the change sticks, such as
    deleting blob files of deleted recordings.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


_AFTER_ROLLBACK = "clinscribe.after_rollback"


def after_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run `action` if this session's transaction rolls back (dropped on commit).

    For effects outside the database made ahead of the commit, such as a stored upload whose
    row never made it: the file is removed rather than left behind with nothing pointing to it.
    """
    session.info.setdefault(_AFTER_ROLLBACK, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_ROLLBACK, None)
    for action in session.info.pop(_AFTER_COMMIT, []):
        action()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    for action in session.info.pop(_AFTER_ROLLBACK, []):
        action()
