"""The EHR destination factory: the deliver task posts with the client the settings name."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Delivery, EhrEndpoint, Job
from clinscribe.db.session import session_scope
from clinscribe.errors import ConfigError
from clinscribe.fhir import core as fhir
from clinscribe.fhir import service as delivery_service
from clinscribe.fhir.destination import EhrClientProvider
from clinscribe.fhir.schemas import EndpointIn
from clinscribe.tasks import setup_jobs
from tests.fakes import FakeEhr, use_fake_ehr
from tests.support import TenantWorld, add_note


def signed_delivery(settings: Settings, world: TenantWorld) -> tuple[str, str]:
    """Sign an approved note (queueing its delivery): (delivery id, job id)."""
    note_id, _ = add_note(settings, world, world.encounter_id, "approved")
    with session_scope(settings.resolved_database_url) as session:
        delivery_service.sign_and_queue(
            session=session,
            settings=settings,
            principal=world.principal("clinician"),
            note_id=note_id,
        )
        delivery = session.execute(select(Delivery).where(Delivery.note_id == note_id)).scalar_one()
        job = session.execute(
            select(Job).where(Job.kind == "deliver", Job.subject_id == delivery.id)
        ).scalar_one()
        return delivery.id, job.id


def status_of(settings: Settings, delivery_id: str) -> tuple[str, int]:
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row.status, row.attempts


@pytest.fixture
def ehr(settings: Settings) -> tuple[Settings, FakeEhr]:
    fake = FakeEhr()
    use_fake_ehr(fake)
    return settings.model_copy(update={"delivery_client": "fake"}), fake


def test_the_deliver_task_posts_with_the_configured_client_and_retries(
    ehr: tuple[Settings, FakeEhr], tenant_a: TenantWorld
) -> None:
    configured, fake = ehr
    fake.plan.append(fhir.DeliveryResult(outcome="retryable", status_code=503, retry_after=0.1))
    rt = setup_jobs(configured)
    delivery_id, job_id = signed_delivery(configured, tenant_a)
    rt.run("deliver", job_id)  # 503: re-sent with the server's delay, acked
    assert status_of(configured, delivery_id) == ("pending", 1)
    rt.run("deliver", job_id)
    assert status_of(configured, delivery_id) == ("delivered", 2)
    assert len(fake.clients) == 2 and all(c.closed for c in fake.clients)
    assert [b["resourceType"] for b in fake.bundles] == ["Bundle", "Bundle"]
    assert fake.bundles[0] == fake.bundles[1]  # the same signed version, twice
    config = fake.clients[0].config
    assert config.base_url == "http://127.0.0.1:9/fhir"
    assert (config.allow_loopback, config.prod, config.timeout) == (
        True,
        False,
        configured.delivery_timeout,
    )


def test_a_refused_bundle_kills_the_delivery_and_its_job(
    ehr: tuple[Settings, FakeEhr], tenant_a: TenantWorld
) -> None:
    configured, fake = ehr
    fake.plan.append(fhir.DeliveryResult(outcome="permanent", status_code=422, reason="http 422"))
    rt = setup_jobs(configured)
    delivery_id, job_id = signed_delivery(configured, tenant_a)
    rt.run("deliver", job_id)
    assert status_of(configured, delivery_id) == ("dead", 1)
    with session_scope(configured.resolved_database_url) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "dead"
    assert len(fake.bundles) == 1 and fake.clients[0].closed


def test_stored_credentials_are_unsealed_into_the_endpoint_config(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    auth = {
        "kind": "client_secret",
        "token_url": "http://127.0.0.1:9/token",
        "client_id": "clinscribe",
        "client_secret": "s3cret",
    }
    with session_scope(settings.resolved_database_url) as session:
        delivery_service.configure_endpoint(
            session=session,
            settings=settings,
            principal=tenant_a.principal("admin"),
            data=EndpointIn.model_validate(
                {
                    "base_url": "http://127.0.0.1:9/other",
                    "auth": auth,
                    "patient_system": "urn:oid:2.16.840.1.113883.3.1",
                    "allow_loopback": True,
                }
            ),
        )
    with session_scope(settings.resolved_database_url) as session:
        endpoint = delivery_service.get_endpoint(session=session, tenant_id=tenant_a.id)
        assert isinstance(endpoint, EhrEndpoint)
        assert "s3cret" not in str(endpoint.auth_encrypted)
        config = EhrClientProvider(settings).stored_config(endpoint)
    assert config.base_url == "http://127.0.0.1:9/other" and config.allow_loopback
    assert isinstance(config.auth, fhir.ClientSecretAuth)
    assert config.auth.client_secret.get_secret_value() == "s3cret"
    prod = EhrClientProvider(settings.model_copy(update={"profile": "prod"}))
    shaped = prod.endpoint_config(
        base_url="https://ehr.example.org/fhir", auth=config.auth, allow_loopback=True
    )
    assert shaped.prod and not shaped.allow_loopback  # prod never talks to loopback


def test_an_unknown_client_name_is_a_configuration_error(settings: Settings) -> None:
    provider = EhrClientProvider(settings.model_copy(update={"delivery_client": "nope"}))
    config = fhir.EndpointConfig(base_url="https://ehr.example.org/fhir")
    with pytest.raises(ConfigError, match="no EHR client named 'nope'"):
        provider.client(config)
