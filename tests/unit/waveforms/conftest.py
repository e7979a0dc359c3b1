"""One app and two tenants shared by the waveform API and FHIR tests (set-up is the cost)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant


@dataclass
class Env:
    """One database, app and two tenants shared by the module's tests (set-up is the cost)."""

    settings: Settings
    client: TestClient
    a: TenantWorld
    b: TenantWorld


@pytest.fixture(scope="package")
def env(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Env]:
    data_dir = tmp_path_factory.mktemp("waveforms") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    settings = make_settings(data_dir)
    a, b = build_tenant(settings), build_tenant(settings)
    with TestClient(create_app(settings, start_worker=False), raise_server_exceptions=False) as c:
        yield Env(settings, c, a, b)
