"""The embedder is loaded once per test session; helpers to store a document and its pages."""

from __future__ import annotations

import pytest

from clinscribe.config import Settings
from clinscribe.db.models.documents import Document
from clinscribe.db.session import session_scope
from clinscribe.documents.core.pages import PageText
from clinscribe.retrieval import core, service
from tests.support import TenantWorld


@pytest.fixture(scope="session")
def embedder() -> core.MiniLmEmbedder:
    # The service's own cached instance, so API calls in tests reuse the same loaded model.
    return service.embedder()


def pages_of(*texts: str) -> list[PageText]:
    return [PageText(number=i, text=t, source="text_layer") for i, t in enumerate(texts, 1)]


def store_document(
    settings: Settings,
    world: TenantWorld,
    pages: list[PageText],
    *,
    patient_id: str | None = None,
    model: core.MiniLmEmbedder | None = None,
) -> str:
    """A ready document of the world's patient, indexed for search; its id."""
    with session_scope(settings.resolved_database_url) as session:
        document = Document(
            tenant_id=world.id,
            patient_id=patient_id or world.patient_id,
            media_type="application/pdf",
            status="ready",
            page_count=len(pages),
        )
        session.add(document)
        session.flush()
        service.index_document(session, document.id, pages, model=model)
        return document.id
