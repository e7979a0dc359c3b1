"""Integration fixtures: a fresh server database per session, migrated by Alembic.

`pg_*` fixtures are PostgreSQL's; `mariadb_*` MariaDB's; `db_*` are parametrized over both, so
a test written against them runs on each server database. Every server must be up: the suites
fail, never skip, when one is down.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pymysql
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import get_engine
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant

PG_ADMIN_URL = os.environ.get("CLINSCRIBE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN_URL = os.environ.get("CLINSCRIBE_TEST_MARIADB", "mysql://root@127.0.0.1:3306")
RABBIT_URL = os.environ.get("CLINSCRIBE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("CLINSCRIBE_TEST_REDIS", "redis://127.0.0.1:6379/0")

SERVERS = ("postgresql", "mariadb")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def mariadb_admin() -> pymysql.Connection:
    """A root connection to the MariaDB server (no database selected), autocommitting."""
    url = make_url(MARIADB_ADMIN_URL)
    return pymysql.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        autocommit=True,
    )


@contextmanager
def throwaway_database(server: str, prefix: str = "clinscribe_it") -> Iterator[str]:
    """A new, empty database on `server` (as the server creates it by default), dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if server == "postgresql":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        with mariadb_admin() as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
        url = MARIADB_ADMIN_URL.rstrip("/") + f"/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        if server == "postgresql":
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            with mariadb_admin() as conn, conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway database; the suite fails (never skips) when PostgreSQL is down."""
    with throwaway_database("postgresql") as url:
        yield url


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


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A throwaway MariaDB database made with the server's defaults (a case-insensitive
    collation): migrating it is what makes it binary. Fails, never skips, when MariaDB is down."""
    with throwaway_database("mariadb") as url:
        yield url


@pytest.fixture(scope="session")
def mariadb_migrated(mariadb_url: str) -> str:
    migrate.upgrade(mariadb_url)
    return mariadb_url


@pytest.fixture
def mariadb_settings(mariadb_migrated: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url=mariadb_migrated)


@pytest.fixture
def mariadb_client(mariadb_settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        create_app(mariadb_settings, start_worker=False), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def mariadb_a(mariadb_settings: Settings) -> TenantWorld:
    return build_tenant(mariadb_settings)


@pytest.fixture(scope="session", params=SERVERS)
def db_server(request: pytest.FixtureRequest) -> str:
    """Each server database in turn."""
    return str(request.param)


@pytest.fixture(scope="session")
def db_migrated(db_server: str, request: pytest.FixtureRequest) -> str:
    fixture = "pg_migrated" if db_server == "postgresql" else "mariadb_migrated"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def db_settings(db_migrated: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url=db_migrated)


@pytest.fixture
def db_client(db_settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        create_app(db_settings, start_worker=False), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def db_a(db_settings: Settings) -> TenantWorld:
    return build_tenant(db_settings)


@pytest.fixture
def db_b(db_settings: Settings) -> TenantWorld:
    return build_tenant(db_settings)
