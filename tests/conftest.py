"""Shared fixtures: settings on a migrated database, an app, and a two-tenant world."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.db.session import get_engine
from clinscribe.security import crypto
from tests.support import TenantWorld, build_tenant

TEST_SECRET = "test-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "clinscribe.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    get_engine(url).dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "jwt_secret": TEST_SECRET,
        "api_key_pepper": TEST_SECRET + "-pepper",
        "log_json": True,
        # Loading the live model at start-up is for servers; tests that stream turn it on.
        "stream_warmup": False,
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    crypto.install(settings)  # what every entry point does before touching the database
    return settings


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    return make_settings(data_dir)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, start_worker=False), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tenant_a(settings: Settings) -> TenantWorld:
    return build_tenant(settings)


@pytest.fixture
def tenant_b(settings: Settings) -> TenantWorld:
    return build_tenant(settings)
