"""DICOM imaging: upload studies, list and read them, previews, files, export, note links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from pydantic import BaseModel

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES, error_responses
from clinscribe.api.routers.recordings import blobs_of, refuse_when_draining
from clinscribe.imaging import export, intake, links, service
from clinscribe.waveforms import studies as study_waveforms

router = APIRouter(prefix=API_PREFIX, tags=["imaging"], responses=ERROR_RESPONSES)
Files = Annotated[
    list[UploadFile], File(description="One or more DICOM files, or a zip of a study")
]
NO_STORE = {"Cache-Control": "no-store"}


class AttachStudy(BaseModel):
    study_id: str


@router.post(
    "/patients/{patient_id}/studies",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(413, 415, 422),
)
def upload_studies(
    patient_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    files: Files,
) -> dict[str, Any]:
    """Parse, group (study -> series -> instance) and store the DICOM files (all or nothing)."""
    refuse_when_draining(request)
    result = intake.accept(
        session=session,
        settings=settings,
        blobs=blobs_of(request),
        principal=principal,
        patient_id=patient_id,
        files=[f.file for f in files],
    )
    ecgs = study_waveforms.analyse(
        session=session,
        settings=settings,
        principal=principal,
        blobs=blobs_of(request),
        instances=result.new_waveforms,
    )
    return {
        "studies": [service.study_json(s) for s in result.studies],
        "waveforms": [w.id for w in ecgs],
        "stored": result.stored,
        "duplicates": result.duplicates,
        "skipped": result.skipped,
    }


@router.get("/patients/{patient_id}/studies")
def list_studies(
    patient_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status", pattern="^(held|available)$")] = None,
) -> list[dict[str, Any]]:
    """The patient's studies, newest first; held ones carry `status: held`."""
    rows = service.list_for_patient(
        session=session, principal=principal, patient_id=patient_id, status=status_
    )
    return [service.study_json(s) for s in rows]


@router.get("/studies/{study_id}")
def get_study(study_id: str, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    """The study's metadata tree: series and instances with preview and file links."""
    return service.detail(session=session, principal=principal, study_id=study_id, base=API_PREFIX)


@router.post("/studies/{study_id}/confirm", responses=error_responses(409))
def confirm_study(
    study_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """A clinician confirms a held study is this patient's; it becomes available (and its ECG
    objects are analysed)."""
    study = service.confirm(session=session, principal=principal, study_id=study_id)
    blobs = blobs_of(request)
    ecgs = study_waveforms.analyse_confirmed(
        session=session, settings=settings, principal=principal, blobs=blobs, study=study
    )
    return {**service.study_json(study), "waveforms": [w.id for w in ecgs]}


@router.get(
    "/studies/{study_id}/instances/{uid}/preview.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **error_responses(415, 422)},
)
def preview(
    study_id: str,
    uid: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    wc: Annotated[float | None, Query(description="window center")] = None,
    ww: Annotated[float | None, Query(gt=0, description="window width")] = None,
    frame: Annotated[int, Query(ge=0, le=100_000, description="0-based frame")] = 0,
) -> Response:
    """A windowed PNG of one frame (415 preview_unavailable when it cannot be decoded)."""
    png = service.preview(
        session=session,
        principal=principal,
        blobs=blobs_of(request),
        study_id=study_id,
        uid=uid,
        frame=frame,
        center=wc,
        width=ww,
    )
    return Response(png, media_type="image/png", headers=NO_STORE)


@router.get(
    "/studies/{study_id}/instances/{uid}/file",
    response_class=Response,
    responses={200: {"content": {"application/dicom": {}}}},
)
def instance_file(
    study_id: str, uid: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """The original DICOM file (audited)."""
    data, name = service.download(
        session=session, principal=principal, blobs=blobs_of(request), study_id=study_id, uid=uid
    )
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/dicom", headers=headers)


@router.get(
    "/studies/{study_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
    dependencies=[STEP_UP],  # an export of PHI (or of what is left after de-identification)
)
def export_study(
    study_id: str,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    deidentify: bool = False,
    include_burned_in: bool = False,
) -> Response:
    """The study as a zip; `deidentify=true` applies the PS3.15 Basic Profile and leaves out
    instances with burned-in annotation unless `include_burned_in=true`."""
    data, name = export.export(
        session=session,
        principal=principal,
        blobs=blobs_of(request),
        study_id=study_id,
        deidentify_=deidentify,
        include_burned_in=include_burned_in,
    )
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/zip", headers=headers)


@router.post(
    "/notes/{note_id}/studies",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422),
)
def attach_study(
    note_id: str, body: AttachStudy, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Attach an available study of the note's patient to the note."""
    study = links.attach(
        session=session, principal=principal, note_id=note_id, study_id=body.study_id
    )
    return service.study_json(study)


@router.delete("/notes/{note_id}/studies/{study_id}", status_code=status.HTTP_204_NO_CONTENT)
def detach_study(
    note_id: str, study_id: str, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    links.detach(session=session, principal=principal, note_id=note_id, study_id=study_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
