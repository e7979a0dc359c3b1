"""Integration fixtures: a fresh PostgreSQL database per session, migrated by Alembic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import get_engine
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant

PG_ADMIN_URL = os.environ.get("CLINSCRIBE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RABBIT_URL = os.environ.get("CLINSCRIBE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("CLINSCRIBE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway database; the suite fails (never skips) when PostgreSQL is down."""
    name = f"clinscribe_it_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    yield url
    get_engine(url).dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_migrated(pg_url: str) -> str:
    migrate.upgrade(pg_url)
    return pg_url


@pytest.fixture
def pg_settings(pg_migrated: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url=pg_migrated)


@pytest.fixture
def pg_client(pg_settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        create_app(pg_settings, start_worker=False), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def pg_a(pg_settings: Settings) -> TenantWorld:
    return build_tenant(pg_settings)


@pytest.fixture
def pg_b(pg_settings: Settings) -> TenantWorld:
    return build_tenant(pg_settings)
