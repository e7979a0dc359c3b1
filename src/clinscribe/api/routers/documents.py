"""A patient's documents: upload (multipart, signed link; tus in `uploads`), read, erase."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep, admit
from clinscribe.api.errors import ERROR_RESPONSES, error_responses
from clinscribe.api.ranges import ranged
from clinscribe.api.routers.recordings import blobs_of, refuse_when_draining
from clinscribe.documents import chart, links, service
from clinscribe.documents.schemas import (
    DocumentAccepted,
    DocumentDetail,
    DocumentRead,
    LabObservationRead,
    PageRead,
    SignedLink,
)
from clinscribe.fhir import patient_records
from clinscribe.security.principal import Principal

router = APIRouter(prefix=API_PREFIX, tags=["documents"], responses=ERROR_RESPONSES)
LINKS = f"{API_PREFIX}/document-links"
FileField = Annotated[UploadFile, File(description="PDF, PNG, JPEG, TIFF or plain text")]
# Bounded so an absurd number is a 422 rather than an integer overflow in the database (a 500).
PageNumber = Annotated[int, Path(ge=1, le=1_000_000, description="1-based page number")]


def _accept(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: Principal,
    patient_id: str,
    file: UploadFile,
    source: str,
) -> dict[str, Any]:
    refuse_when_draining(request)
    document, job = service.accept(
        session=session,
        settings=settings,
        blobs=blobs_of(request),
        principal=principal,
        patient_id=patient_id,
        data=file.file,
        filename=file.filename,
        source=source,
    )
    response.headers["Location"] = f"{API_PREFIX}/jobs/{job.id}"
    return {"document": document, "job": job}


@router.post(
    "/patients/{patient_id}/documents",
    response_model=DocumentAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(415, 503),
)
def upload_document(
    patient_id: str,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    file: FileField,
) -> dict[str, Any]:
    """Store the document sealed, check it can be read, and queue its extraction (202 + job)."""
    return _accept(request, response, session, settings, principal, patient_id, file, "upload")


@router.get("/patients/{patient_id}/documents", response_model=list[DocumentRead])
def list_documents(patient_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.list_for_patient(session=session, principal=principal, patient_id=patient_id)


@router.post("/patients/{patient_id}/documents/upload-url", response_model=SignedLink)
def upload_url(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """A short-lived link that accepts one multipart `file` for this patient without a token."""
    service.writable_patient(session=session, principal=principal, patient_id=patient_id)
    token, expires = links.issue(
        session=session,
        settings=settings,
        principal=principal,
        operation="upload",
        target_id=patient_id,
    )
    return {"url": f"{LINKS}/{token}", "method": "POST", "expires_at": expires}


@router.post(
    "/document-links/{token}",
    response_model=DocumentAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(415, 503),
)
def upload_by_link(
    token: str,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    file: FileField,
) -> dict[str, Any]:
    """Upload through a signed link (no bearer token: the link is the credential)."""
    grant = links.verify(settings, token, "upload")
    admit(request, session, settings, grant.principal)  # a link is a credential of its tenant
    return _accept(
        request, response, session, settings, grant.principal, grant.target_id, file, "signed"
    )


@router.get("/documents/{document_id}/download-url", response_model=SignedLink)
def download_url(
    document_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    document = service.get(session=session, principal=principal, document_id=document_id)
    token, expires = links.issue(
        session=session,
        settings=settings,
        principal=principal,
        operation="download",
        target_id=document.id,
    )
    return {"url": f"{LINKS}/{token}", "method": "GET", "expires_at": expires}


@router.get("/document-links/{token}", response_class=Response)
def download_by_link(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The original file through a signed link (no bearer token)."""
    grant = links.verify(settings, token, "download")
    admit(request, session, settings, grant.principal)
    return _file_response(request, session, grant.principal, grant.target_id)


def _file_response(
    request: Request, session: SessionDep, principal: Principal, document_id: str
) -> Response:
    document = service.get(session=session, principal=principal, document_id=document_id)
    reader = service.open_file(
        session=session, principal=principal, blobs=blobs_of(request), document=document
    )
    return ranged(
        reader,
        media_type=document.media_type,
        filename=document.filename or "document",
        range_header=request.headers.get("range"),
    )


@router.get("/documents/{document_id}", response_model=DocumentDetail)
def get_document(
    document_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Status, pages, kind and what extraction found (lab results, flagged, facts)."""
    document = service.get(session=session, principal=principal, document_id=document_id)
    return service.detail(session=session, document=document)


@router.get(
    "/documents/{document_id}/pages/{number}",
    response_model=PageRead,
    responses={200: {"content": {"image/png": {}}}},
)
def get_page(
    document_id: str,
    number: PageNumber,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    format: Annotated[Literal["json", "png"], Query()] = "json",
) -> Any:
    """A page's text with word offsets and low-confidence spans; `?format=png` its image."""
    document, row = service.page(
        session=session, principal=principal, document_id=document_id, number=number
    )
    if format == "png":
        png = chart.page_image(
            blobs=blobs_of(request),
            document=document,
            number=number,
            max_pixels=settings.document_max_pixels,
        )
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
    return chart.page_json(document, row, image_path=request.url.path)


@router.post(
    "/documents/{document_id}/retry",
    response_model=DocumentAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(409, 503),
)
def retry_document(
    document_id: str,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Queue a failed document's extraction again from its kept file (202 + job)."""
    refuse_when_draining(request)
    document, job = service.retry(
        session=session,
        settings=settings,
        blobs=blobs_of(request),
        principal=principal,
        document_id=document_id,
    )
    response.headers["Location"] = f"{API_PREFIX}/jobs/{job.id}"
    return {"document": document, "job": job}


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(
    document_id: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """The document, its pages, results, facts, retrieval index and stored files."""
    service.erase(
        session=session, principal=principal, blobs=blobs_of(request), document_id=document_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/patients/{patient_id}/documents/labs")
def patient_labs(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Lab results from the patient's documents, oldest first, with per-analyte trends."""
    rows = chart.labs_for_patient(session=session, principal=principal, patient_id=patient_id)
    return {
        "observations": [LabObservationRead.model_validate(r).model_dump() for r in rows],
        "trends": chart.trends(rows),
    }


@router.get("/patients/{patient_id}/documents/facts")
def patient_facts(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[dict[str, Any]]:
    """Medications, problems and allergies stated in the patient's letters, with citations."""
    rows = chart.facts_for_patient(session=session, principal=principal, patient_id=patient_id)
    return [chart.fact_json(r) for r in rows]


@router.get(
    "/patients/{patient_id}/documents/fhir",
    response_class=Response,
    responses={200: {"content": {"application/fhir+json": {}}}},
)
def patient_records_fhir(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """A FHIR R4 Bundle of the results and facts, each with DocumentReference provenance."""
    bundle = patient_records.bundle_for_patient(
        session=session, principal=principal, patient_id=patient_id
    )
    return Response(patient_records.dumps(bundle), media_type="application/fhir+json")
