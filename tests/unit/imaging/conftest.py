"""One app, database and two tenants per test module (building a tenant costs seconds); each
test gets fresh patients of its own, so tests share no rows they look at."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.conftest import make_settings
from tests.support import TenantWorld, add_patient_and_encounter, build_tenant


@dataclass
class Shared:
    client: TestClient
    settings: Settings
    a: TenantWorld
    b: TenantWorld


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Shared]:
    data_dir = tmp_path_factory.mktemp("imaging") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    settings = make_settings(data_dir)
    app = create_app(settings, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Shared(client, settings, build_tenant(settings), build_tenant(settings))


def _fresh(settings: Settings, world: TenantWorld) -> TenantWorld:
    patient_id, encounter_id = add_patient_and_encounter(settings, world)
    return dataclasses.replace(world, patient_id=patient_id, encounter_id=encounter_id)


@pytest.fixture
def client(shared: Shared) -> TestClient:
    return shared.client


@pytest.fixture
def settings(shared: Shared) -> Settings:
    return shared.settings


@pytest.fixture
def tenant_a(shared: Shared) -> TenantWorld:
    return _fresh(shared.settings, shared.a)


@pytest.fixture
def tenant_b(shared: Shared) -> TenantWorld:
    return _fresh(shared.settings, shared.b)
