"""Resumable uploads (tus 1.0: core, creation, termination) via tuspyserver.

Each tenant's partial uploads live in their own folder, encrypted (`storage/uploads.py`),
so another tenant's upload id is simply not found. Metadata must name the encounter
(`encounter_id`), `filename` and `filetype`, and may give `mode`. When the last byte lands the
file becomes a recording and its transcription is queued, exactly like a one-shot upload; the
client finds it under the encounter's recordings. Metadata naming a patient (`patient_id`)
instead makes the file one of that patient's documents, with its extraction queued, or, when
the metadata says `kind` `imaging` (or `filetype` `application/dicom`), a DICOM file or zip of a
study added to that patient's imaging exactly as a multipart upload to `/patients/{id}/studies`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from tuspyserver import create_tus_router

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.routers.recordings import refuse_when_draining
from clinscribe.config import Settings
from clinscribe.documents import service as documents
from clinscribe.documents.core.errors import EmptyDocumentError
from clinscribe.errors import Unprocessable
from clinscribe.imaging import intake as imaging
from clinscribe.recordings import service as recordings
from clinscribe.records import encounters, patients
from clinscribe.security import crypto
from clinscribe.storage.select import upload_store
from clinscribe.storage.uploads import SealedUploads, for_tenant

UPLOADS_PREFIX = f"{API_PREFIX}/uploads"


def _imaging(metadata: dict[str, Any]) -> bool:
    return metadata.get("kind") == "imaging" or metadata.get("filetype") == "application/dicom"


def _mode(metadata: dict[str, Any]) -> str:
    mode = metadata.get("mode") or "dictation"
    if mode not in ("dictation", "conversation"):
        raise Unprocessable("metadata mode must be dictation or conversation")
    return str(mode)


async def _auth(principal: CurrentPrincipal) -> None:
    principal.require("encounters:write")


async def _files(principal: CurrentPrincipal) -> Callable[[dict[str, Any]], None]:
    # Every tus route (and its body-streaming dependency) depends on this before it touches
    # storage. Async on purpose: it runs in the request's own context, so the tenant it sets
    # is the one the storage calls that follow see.
    for_tenant(principal.tenant_id)
    return lambda _metadata: for_tenant(principal.tenant_id)


def _pre_create(
    request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    refuse_when_draining(request)

    def check(metadata: dict[str, Any], info: dict[str, Any]) -> None:
        if metadata.get("patient_id"):
            if info.get("size") == 0:  # else it "completes" at once and reads as damaged (409)
                raise EmptyDocumentError("the upload is empty (0 bytes)")
            principal.require("patients:write")
            patients.get(
                session=session,
                principal=principal,
                patient_id=str(metadata["patient_id"]),
                audit_read=False,
            )
            return
        encounter_id = metadata.get("encounter_id")
        missing = [k for k in ("encounter_id", "filename", "filetype") if not metadata.get(k)]
        if missing:
            raise Unprocessable(f"upload metadata must include {', '.join(missing)}")
        _mode(metadata)
        encounters.get(
            session=session, principal=principal, encounter_id=str(encounter_id), audit_read=False
        )

    return check


def _on_complete(
    request: Request, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    storage: SealedUploads = request.app.state.uploads

    async def complete(path: str, metadata: dict[str, Any]) -> None:
        uid = Path(path).name.removesuffix(".sealed")

        def adopt() -> None:
            try:
                # A damaged record surfaces as UploadCorruptError (409 upload_corrupt).
                with storage.reader(uid) as source:
                    if metadata.get("patient_id") and _imaging(metadata):
                        imaging.accept(
                            session=session,
                            settings=settings,
                            blobs=request.app.state.blobs,
                            principal=principal,
                            patient_id=str(metadata["patient_id"]),
                            files=[source],
                        )
                        return
                    if metadata.get("patient_id"):
                        documents.accept(
                            session=session,
                            settings=settings,
                            blobs=request.app.state.blobs,
                            principal=principal,
                            patient_id=str(metadata["patient_id"]),
                            data=source,
                            filename=metadata.get("filename"),
                            source="tus",
                        )
                        return
                    recordings.adopt_upload(
                        session=session,
                        settings=settings,
                        blobs=request.app.state.blobs,
                        principal=principal,
                        encounter_id=str(metadata.get("encounter_id", "")),
                        source=source,
                        filename=metadata.get("filename"),
                        content_type=metadata.get("filetype"),
                        mode=_mode(metadata),
                    )
            finally:
                storage.remove(uid)  # stored as a recording, or refused: either way done

        await run_in_threadpool(adopt)

    return complete


def install(app: FastAPI, settings: Settings) -> None:
    # The library logs upload metadata (file names can name patients): keep it quiet.
    logging.getLogger("tuspyserver").setLevel(logging.CRITICAL)
    # The library types its hooks loosely (sync, no dependencies); FastAPI resolves ours.
    hooks: dict[str, Any] = {
        "auth": _auth,
        "upload_complete_dep": _on_complete,
        "pre_create_dep": _pre_create,
        "file_dep": _files,
    }
    storage = app.state.uploads = upload_store(settings, crypto.key_ring(settings), app.state.blobs)
    router: APIRouter = create_tus_router(
        prefix=UPLOADS_PREFIX,
        files_dir=str(settings.data_dir / "uploads"),
        storage=storage,
        max_size=settings.max_upload_bytes,
        days_to_keep=settings.tus_expiry_days,
        tags=["uploads"],
        **hooks,
    )
    app.include_router(router)
