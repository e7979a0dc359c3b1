"""Fixtures for the FHIR read API: a seeded record and R4B validation of what is served."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant
from tests.unit.fhir.server.seed import seed


@dataclass
class FhirEnv:
    """One seeded database, app and two tenants shared by a module's read-only tests."""

    settings: Settings
    client: TestClient
    a: TenantWorld
    b: TenantWorld
    ids: dict[str, str]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[FhirEnv]:
    data_dir = tmp_path_factory.mktemp("fhir") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    settings = make_settings(data_dir)
    a, b = build_tenant(settings), build_tenant(settings)
    ids = seed(settings, a)
    app = create_app(settings, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield FhirEnv(settings, client, a, b, ids)


@pytest.fixture
def ids(settings: Settings, tenant_a: TenantWorld) -> dict[str, str]:
    return seed(settings, tenant_a)


def validate(resource: dict[str, Any]) -> None:
    """Parse with the fhir.resources R4B model of its type (raises on any error)."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        validate(entry["resource"])


def get(client: TestClient, world: TenantWorld, url: str, who: str = "clinician") -> Any:
    """GET a FHIR URL as `who`; the response must be FHIR JSON, and a resource must validate."""
    response = client.get(url, headers=world.auth(who))
    assert response.headers["content-type"].startswith("application/fhir+json"), response.text
    validate(response.json())
    return response


def found(bundle: dict[str, Any], mode: str = "match") -> set[str]:
    """The ids of a searchset's entries of one search mode."""
    return {e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode}
