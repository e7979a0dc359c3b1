"""Search a patient's documents: hybrid full-text and vector ranking of page chunks."""

from __future__ import annotations

from fastapi import APIRouter

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.retrieval import service
from clinscribe.retrieval.schemas import SearchRequest, SearchResults

router = APIRouter(prefix=f"{API_PREFIX}/patients", tags=["search"], responses=ERROR_RESPONSES)


@router.post("/{patient_id}/search", response_model=SearchResults)
def search_patient(
    patient_id: str, body: SearchRequest, principal: CurrentPrincipal, session: SessionDep
) -> object:
    """The top `k` (1-50) chunks of the patient's documents for `query`, best first."""
    return service.search(
        session=session, principal=principal, patient_id=patient_id, query=body.query, k=body.k
    )
