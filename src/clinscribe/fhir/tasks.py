"""The delivery task: post a signed note's Bundle to the tenant's EHR and classify the answer."""

from __future__ import annotations

import json
from contextlib import closing

from clinscribe.audit import egress
from clinscribe.config import Settings
from clinscribe.db.models import Delivery, Job, Note
from clinscribe.db.session import session_scope
from clinscribe.fhir import core as fhir
from clinscribe.fhir import note_studies
from clinscribe.fhir import service as delivery_service
from clinscribe.fhir.destination import EhrClientProvider
from clinscribe.jobs.tasks import PermanentJobError, RetryLater, task
from clinscribe.security.crypto import key_ring
from clinscribe.security.outbound import OutboundUrlError
from clinscribe.storage.blobs import BlobStore
from clinscribe.storage.select import blob_store


def mark_dead(settings: Settings, job: Job) -> None:
    """A delivery whose job died is dead too (unless it got through meanwhile)."""
    with session_scope(settings.resolved_database_url) as session:
        delivery = session.get(Delivery, job.subject_id)
        if delivery is not None and delivery.status != "delivered":
            delivery.status = "dead"


def _egress_outcome(result: fhir.DeliveryResult) -> egress.Outcome:
    if result.delivered:
        return "sent"
    # An HTTP answer means the Bundle reached the EHR, which refused it; no answer (timeout,
    # transport, a refused URL) may or may not have let it out: "failed", logged all the same.
    return "refused" if result.status_code is not None else "failed"


@task("deliver", on_dead=mark_dead)
def deliver(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    """Map the signed version to a Bundle and POST it; classify the answer."""
    url = settings.resolved_database_url
    destinations = EhrClientProvider(settings)
    with session_scope(url) as session:
        delivery = session.get(Delivery, job.subject_id)
        note = session.get(Note, delivery.note_id) if delivery else None
        if delivery is None or note is None:
            raise PermanentJobError("delivery or note no longer exists")
        if delivery.status == "delivered":
            return "delivery", delivery.id
        endpoint = delivery_service.get_endpoint(session=session, tenant_id=delivery.tenant_id)
        if endpoint is None:
            raise PermanentJobError("the tenant's EHR endpoint was removed")
        try:
            bundle = fhir.build_bundle(
                delivery_service.signed_note(session, note, endpoint, delivery.version)
            )
            blobs = blob_store(settings, key_ring(settings))
            note_studies.add_studies(session, note, delivery.version, bundle, blobs)
            fhir.validate_bundle(bundle)
        except fhir.FhirError as exc:
            raise PermanentJobError(f"bundle: {exc}") from exc
        config = destinations.stored_config(endpoint)
    try:
        with closing(destinations.client(config)) as client:
            result = client.post_bundle(bundle)
    except (fhir.FhirError, OutboundUrlError) as exc:  # unsafe URL, token refused: final
        result = fhir.DeliveryResult(outcome="permanent", reason=str(exc)[:500])
    with session_scope(url) as session:
        row = session.get(Delivery, job.subject_id)
        if row is None:
            raise PermanentJobError("delivery disappeared")
        delivery_service.record_attempt(session=session, delivery=row, result=result)
        egress.record(
            session,
            tenant_id=row.tenant_id,
            processor="ehr_fhir",
            destination_url=config.base_url,
            purpose="note_delivery",
            object_type="note",
            object_ids=[row.note_id, row.id],
            byte_count=len(json.dumps(bundle).encode()),
            outcome=_egress_outcome(result),
            actor_type="system",
            actor_id=job.id,
        )
        if result.delivered:
            return "delivery", row.id
        if result.outcome == "permanent":
            row.status = "dead"
    if result.outcome == "permanent":
        raise PermanentJobError(f"EHR refused the bundle: {result.status_code} {result.reason}")
    policy = fhir.RetryPolicy(
        max_attempts=settings.delivery_max_attempts,
        base_delay=settings.delivery_base_delay,
        max_delay=settings.delivery_max_delay,
    )
    delay = fhir.backoff_delay(job.attempts, policy, retry_after=result.retry_after)
    raise RetryLater(f"EHR answered {result.status_code or result.reason}", delay)
