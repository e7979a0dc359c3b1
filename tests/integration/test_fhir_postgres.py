"""The FHIR read API's searches and reads on the real PostgreSQL: the same exact result sets."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.support import TenantWorld
from tests.unit.fhir.server.conftest import found, get
from tests.unit.fhir.server.seed import seed
from tests.unit.fhir.server.test_read_api import READS
from tests.unit.fhir.server.test_search_api import CASES


def test_every_search_case_and_read_matches_on_postgres(
    pg_client: TestClient, pg_settings: Settings, pg_a: TenantWorld, pg_b: TenantWorld
) -> None:
    ids = seed(pg_settings, pg_a)
    for url, expected in CASES:
        bundle = get(pg_client, pg_a, "/fhir/R4/" + url.format(**ids)).json()
        assert found(bundle) == {ids[name] for name in expected}, url
        assert bundle["total"] == len(expected), url
    for resource_type, name in READS:
        resource = get(pg_client, pg_a, f"/fhir/R4/{resource_type}/{ids[name]}").json()
        assert resource["id"] == ids[name]
        other = pg_client.get(f"/fhir/R4/{resource_type}/{ids[name]}", headers=pg_b.auth("admin"))
        assert other.status_code == 404
