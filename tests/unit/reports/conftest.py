"""Store the synthetic patient of `records.py` as documents with pages, labs and facts."""

from __future__ import annotations

import json

from clinscribe.config import Settings
from clinscribe.db.models.documents import Document, DocumentFact, DocumentPage, LabObservation
from clinscribe.db.session import session_scope
from tests.support import TenantWorld
from tests.unit.reports.records import sources


def store_records(
    settings: Settings, world: TenantWorld, patient_id: str | None = None
) -> dict[str, str]:
    """The synthetic documents as stored rows of the world's patient; their ids by name."""
    s = sources()
    patient = patient_id or world.patient_id
    ids: dict[str, str] = {}
    with session_scope(settings.resolved_database_url) as session:
        for page in s.pages:
            doc = Document(
                tenant_id=world.id,
                patient_id=patient,
                media_type="application/pdf",
                status="ready",
                kind=page.kind,
                document_date=page.date,
                page_count=1,
            )
            session.add(doc)
            session.flush()
            ids[page.document_id] = doc.id
            session.add(
                DocumentPage(
                    tenant_id=world.id,
                    document_id=doc.id,
                    number=page.page,
                    source="text_layer",
                    text=page.text,
                    words_json="[]",
                )
            )
        owner = {"tenant_id": world.id, "patient_id": patient}
        for lab in s.labs:
            c = lab.citation
            session.add(
                LabObservation(
                    **owner,
                    document_id=ids[c.document_id],
                    page=c.page,
                    span_begin=c.begin,
                    span_end=c.end,
                    analyte_printed=lab.analyte,
                    value=lab.value,
                    value_printed=lab.value_printed,
                    unit=lab.unit,
                    ref_low=lab.ref_low,
                    ref_high=lab.ref_high,
                    ref_printed=lab.ref_printed,
                    flag=lab.flag,
                    effective_date=lab.date,
                    low_confidence=False,
                )
            )
        for fact in s.facts:
            c = fact.citation
            session.add(
                DocumentFact(
                    **owner,
                    document_id=ids[c.document_id],
                    kind=fact.kind,
                    page=c.page,
                    span_begin=c.begin,
                    span_end=c.end,
                    text=fact.text,
                    details_json=json.dumps(dict(fact.details)),
                )
            )
    return ids
