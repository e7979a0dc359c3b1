"""Fixtures for the FHIR read API: a seeded record and R4B validation of what is served."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.support import TenantWorld
from tests.unit.fhir.server.seed import seed


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
    return {
        e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode
    }
