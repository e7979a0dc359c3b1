"""A patient's ECG waveforms: upload (DICOM ECG or WFDB), list, read, rendered strips."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES, error_responses
from clinscribe.api.routers.recordings import blobs_of
from clinscribe.db.models import Waveform
from clinscribe.waveforms import service
from clinscribe.waveforms.schemas import WaveformDetail, WaveformRead

router = APIRouter(prefix=API_PREFIX, tags=["waveforms"], responses=ERROR_RESPONSES)
Files = Annotated[
    list[UploadFile],
    File(description="One DICOM ECG; or a WFDB header (.hea) with its .dat files; or a zip"),
]
Leads = Annotated[
    str | None, Query(max_length=200, description="Comma-separated leads, e.g. II,V1")
]


def _shape(row: Waveform) -> dict[str, Any]:
    base = f"{API_PREFIX}/waveforms/{row.id}"
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "source": row.source,
        "format": row.format,
        "leads": row.leads,
        "sampling_rate": row.sampling_rate,
        "samples": row.samples,
        "duration": round(row.duration, 3),
        "acquired_at": row.acquired_at,
        "created_at": row.created_at,
        "measurements": service.measurement_table(row),
        "strip_svg": f"{base}/strip.svg",
        "strip_png": f"{base}/strip.png",
    }


@router.post(
    "/patients/{patient_id}/waveforms",
    response_model=WaveformDetail,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(413, 422),
)
def upload_waveform(
    patient_id: str,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    file: Files,
) -> dict[str, Any]:
    """Read, measure and draw an ECG; its measurements are filed as proposed observations."""
    row = service.accept_upload(
        session=session,
        settings=settings,
        blobs=blobs_of(request),
        principal=principal,
        patient_id=patient_id,
        files=[(f.filename, f.file) for f in file],
    )
    response.headers["Location"] = f"{API_PREFIX}/waveforms/{row.id}"
    return _detail(session, principal, row)


def _detail(session: SessionDep, principal: CurrentPrincipal, row: Waveform) -> dict[str, Any]:
    ids = service.observation_ids(session=session, principal=principal, row=row)
    return {
        **_shape(row),
        "analysis_lead": row.analysis_lead,
        "method": row.method,
        "observation_ids": ids,
    }


@router.get("/patients/{patient_id}/waveforms", response_model=list[WaveformRead])
def list_waveforms(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[dict[str, Any]]:
    rows = service.list_for_patient(session=session, principal=principal, patient_id=patient_id)
    return [_shape(r) for r in rows]


@router.get("/waveforms/{waveform_id}", response_model=WaveformDetail)
def get_waveform(
    waveform_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    row = service.get(session=session, principal=principal, waveform_id=waveform_id)
    return _detail(session, principal, row)


def _strip(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    waveform_id: str,
    fmt: service.Format,
    leads: str | None,
) -> Response:
    body, media = service.strip_image(
        session=session,
        principal=principal,
        blobs=blobs_of(request),
        waveform_id=waveform_id,
        fmt=fmt,
        leads=leads,
    )
    return Response(body, media_type=media, headers={"Cache-Control": "no-store"})


@router.get(
    "/waveforms/{waveform_id}/strip.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **error_responses(422)},
)
def strip_svg(
    waveform_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    leads: Leads = None,
) -> Response:
    """The strip at 25 mm/s and 10 mm/mV on a 1 mm / 5 mm grid (SVG in millimetres)."""
    return _strip(request, session, principal, waveform_id, "svg", leads)


@router.get(
    "/waveforms/{waveform_id}/strip.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **error_responses(422)},
)
def strip_png(
    waveform_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    leads: Leads = None,
) -> Response:
    """The same strip as a PNG (5 px per mm)."""
    return _strip(request, session, principal, waveform_id, "png", leads)
