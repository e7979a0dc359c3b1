"""Recording intake (multipart upload, text), recordings, transcripts and jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES, error_responses
from clinscribe.api.ranges import ranged
from clinscribe.asr import service as transcripts
from clinscribe.errors import ServiceUnavailable
from clinscribe.jobs import queue as workqueue
from clinscribe.jobs.schemas import JobRead
from clinscribe.recordings import service
from clinscribe.recordings.schemas import Mode, RecordingAccepted, RecordingRead, TextCreate
from clinscribe.storage.blobs import BlobStore

router = APIRouter(prefix=API_PREFIX, tags=["recordings"], responses=ERROR_RESPONSES)


def blobs_of(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.blobs
    return store


def is_draining(request: Request) -> bool:
    """Set in-process (tests, signals) or by the operator's drain file, checked per request."""
    settings = request.app.state.settings
    return bool(request.app.state.draining) or settings.drain_file.exists()


def refuse_when_draining(request: Request) -> None:
    if is_draining(request):
        raise ServiceUnavailable("the service is draining for a restart; retry shortly")


@router.post(
    "/encounters/{encounter_id}/recordings",
    response_model=RecordingAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(415, 503),
)
def upload_recording(
    encounter_id: str,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="wav, mp3, m4a/aac, ogg/opus, webm, flac")],
    mode: Annotated[Mode, Form()] = "dictation",
) -> dict[str, Any]:
    """Store the audio, validate it, and queue its transcription (202 + the job)."""
    refuse_when_draining(request)
    recording, job = service.upload(
        session=session,
        settings=settings,
        blobs=blobs_of(request),
        principal=principal,
        encounter_id=encounter_id,
        data=file.file,
        filename=file.filename,
        content_type=file.content_type,
        mode=mode,
    )
    response.headers["Location"] = f"{API_PREFIX}/jobs/{job.id}"
    return {"recording": recording, "job": job}


@router.post(
    "/encounters/{encounter_id}/text",
    response_model=RecordingAccepted,
    status_code=status.HTTP_201_CREATED,
)
def submit_text(
    encounter_id: str,
    body: TextCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Already-transcribed text or dialogue enters the pipeline without ASR."""
    refuse_when_draining(request)
    recording, transcript_id = service.from_text(
        session=session,
        settings=settings,
        principal=principal,
        encounter_id=encounter_id,
        text=body.text,
        mode=body.mode,
    )
    response.headers["Location"] = f"{API_PREFIX}/transcripts/{transcript_id}"
    return {"recording": recording, "transcript_id": transcript_id}


@router.get("/encounters/{encounter_id}/recordings", response_model=list[RecordingRead])
def list_recordings(encounter_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.list_for_encounter(
        session=session, principal=principal, encounter_id=encounter_id
    )


@router.get("/recordings/{recording_id}", response_model=RecordingAccepted)
def get_recording(
    recording_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    recording = service.get(session=session, principal=principal, recording_id=recording_id)
    transcript = transcripts.for_recording(session=session, recording_id=recording.id)
    return {
        "recording": recording,
        "job": service.job_for(session=session, recording_id=recording.id),
        "transcript_id": transcript.id if transcript else None,
    }


@router.get(
    "/recordings/{recording_id}/audio",
    response_class=Response,
    responses={200: {"content": {"audio/*": {}}}, 206: {"content": {"audio/*": {}}}},
)
def recording_audio(
    recording_id: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """The stored audio (byte ranges supported, so players can seek)."""
    reader, media_type, filename = service.audio_file(
        session=session, principal=principal, blobs=blobs_of(request), recording_id=recording_id
    )
    return ranged(
        reader, media_type=media_type, filename=filename, range_header=request.headers.get("range")
    )


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return workqueue.get(session=session, principal=principal, job_id=job_id)


@router.get("/transcripts/{transcript_id}")
def get_transcript(
    transcript_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """The Transcript JSON of the public contract, with its recording and encounter ids."""
    row = transcripts.get(session=session, principal=principal, transcript_id=transcript_id)
    return transcripts.to_contract(row)


@router.get("/encounters/{encounter_id}/transcripts")
def list_transcripts(
    encounter_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[dict[str, Any]]:
    rows = transcripts.list_for_encounter(
        session=session, principal=principal, encounter_id=encounter_id
    )
    return [transcripts.to_contract(row) for row in rows]
