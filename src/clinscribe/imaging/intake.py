"""Taking DICOM in: files or zips of a study, parsed, grouped study -> series -> instance,
stored sealed, and checked against the patient they were uploaded to.

All or nothing: every file is parsed before the first byte is stored, and a blob written ahead
of its row is removed if the transaction rolls back, so a refused upload leaves no rows and no
files. A study whose header names someone else (patient id or name differ from the record's
MRN or family name) is `held` until a clinician confirms it; an anonymous or matching one is
`available` at once.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO

from pydicom.uid import generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import new_id
from clinscribe.db.models import ImagingInstance, ImagingSeries, ImagingStudy, Patient
from clinscribe.db.sealed import cipher_of_session
from clinscribe.db.session import after_rollback
from clinscribe.errors import PayloadTooLarge
from clinscribe.imaging.core import archive, parse
from clinscribe.imaging.core.errors import EmptyUploadError, NotAnInstanceError
from clinscribe.records import patients
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by
from clinscribe.storage.blobs import BlobStore


def uid_index(session: Session, tenant_id: str, uid: str) -> str:
    """The keyed hash a UID is looked up by (the UID itself is sealed)."""
    return cipher_of_session(session).blind("imaging.uid", f"{tenant_id}|{uid}")


@dataclass
class Parsed:
    meta: parse.Instance
    data: bytes


@dataclass
class Result:
    """What an upload added: the studies it touched, instances stored, duplicates skipped."""

    studies: list[ImagingStudy] = field(default_factory=list)
    # The waveform (ECG) instances this upload added, for the waveform analysis to read.
    new_waveforms: list[ImagingInstance] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0


def _read_limited(source: BinaryIO, limit: int) -> bytes:
    body = source.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"the upload exceeds {limit} bytes")
    return body


def _instances(
    files: Iterable[BinaryIO], settings: Settings, result: Result
) -> Iterator[tuple[bytes, bool]]:
    """(bytes, from_zip) of every candidate file; zip members are checked by `archive`."""
    limits = archive.Limits(settings.imaging_zip_max_members, settings.imaging_zip_max_bytes)
    left = settings.imaging_max_upload_bytes
    for source in files:
        body = _read_limited(source, left)
        left -= len(body)
        if archive.is_zip(body):
            for _name, data in archive.members(io.BytesIO(body), limits):
                if parse.looks_like_dicom(data):
                    yield data, True
                else:
                    result.skipped += 1  # a viewer, a README: what study CDs carry besides
        else:
            yield body, False


def parse_all(files: Iterable[BinaryIO], settings: Settings, result: Result) -> list[Parsed]:
    """Every instance of the upload, parsed (a typed 4xx at the first unsound file)."""
    parsed: list[Parsed] = []
    batch_study = batch_series = None
    for data, from_zip in _instances(files, settings, result):
        try:
            meta, _ = parse.parse(data)
        except NotAnInstanceError:
            if from_zip:  # the DICOMDIR of a study CD indexes the files; they are read anyway
                result.skipped += 1
                continue
            raise
        if meta.study_uid is None:  # files without one are taken as one study per upload
            batch_study = batch_study or str(generate_uid())
            meta = replace(meta, study_uid=batch_study)
        if meta.series_uid is None:
            batch_series = batch_series or str(generate_uid())
            meta = replace(meta, series_uid=batch_series)
        if meta.sop_instance_uid is None:
            meta = replace(meta, sop_instance_uid=parse.content_uid(data))
        parsed.append(Parsed(meta, data))
    if not parsed:
        raise EmptyUploadError("the upload holds no DICOM instance")
    return parsed


def _norm(value: str | None) -> str:
    return " ".join((value or "").replace("^", " ").casefold().split())


def held_reason(patient: Patient, meta: parse.Instance) -> str | None:
    """Which of the file's patient id and name disagree with the record (None: they agree, or
    the file is anonymous)."""
    reasons = []
    if meta.patient_id and _norm(meta.patient_id) != _norm(patient.mrn):
        reasons.append("patient_id")
    if meta.patient_name:
        family = _norm(meta.patient_name.split("^", 1)[0])
        if family and family != _norm(patient.family_name):
            reasons.append("patient_name")
    return ",".join(reasons) or None


def _started(meta: parse.Instance) -> datetime | None:
    if not meta.study_date or len(meta.study_date) < 8:
        return None
    clock = (meta.study_time or "").split(".")[0].ljust(6, "0")[:6]
    try:
        # The modality's local time, kept as given (DICOM carries no zone unless told).
        return datetime.strptime(meta.study_date[:8] + clock, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


class _Store:
    """Rows of one upload, looked up once per UID."""

    def __init__(self, session: Session, principal: Principal, patient: Patient) -> None:
        self.session = session
        self.principal = principal
        self.patient = patient
        self.studies: dict[str, ImagingStudy] = {}
        self.series: dict[tuple[str, str], ImagingSeries] = {}
        self.new: set[str] = set()

    def index(self, uid: str) -> str:
        return uid_index(self.session, self.principal.tenant_id, uid)

    def study(self, meta: parse.Instance) -> ImagingStudy:
        uid = meta.study_uid or ""
        if uid in self.studies:
            return self.studies[uid]
        index = self.index(uid)
        row = self.session.execute(
            owned_by(ImagingStudy, self.principal.tenant_id).where(
                ImagingStudy.patient_id == self.patient.id, ImagingStudy.uid_index == index
            )
        ).scalar_one_or_none()
        if row is None:
            row = ImagingStudy(
                id=new_id(),
                tenant_id=self.principal.tenant_id,
                patient_id=self.patient.id,
                created_by=self.principal.actor_id,
                uid=uid,
                uid_index=index,
                status="available",
                modalities="",
                body_part=meta.body_part,
                started_at=_started(meta),
                description=meta.study_description,
                accession=meta.accession_number,
                dicom_patient_id=meta.patient_id,
                dicom_patient_name=meta.patient_name,
                series_count=0,
                instance_count=0,
            )
            self.session.add(row)
            self.session.flush()  # no ORM relationships order the inserts: the parent goes first
            self.new.add(row.id)
        self.studies[uid] = row
        return row

    def one_series(self, study: ImagingStudy, meta: parse.Instance) -> ImagingSeries:
        uid = meta.series_uid or ""
        key = (study.id, uid)
        if key in self.series:
            return self.series[key]
        index = self.index(uid)
        row = self.session.execute(
            select(ImagingSeries).where(
                ImagingSeries.study_id == study.id, ImagingSeries.uid_index == index
            )
        ).scalar_one_or_none()
        if row is None:
            row = ImagingSeries(
                id=new_id(),
                tenant_id=study.tenant_id,
                study_id=study.id,
                uid=uid,
                uid_index=index,
                number=meta.series_number,
                modality=meta.modality or "OT",
                body_part=meta.body_part,
                description=meta.series_description,
                instance_count=0,
            )
            self.session.add(row)
            self.session.flush()
            study.series_count += 1
        self.series[key] = row
        return row

    def exists(self, study: ImagingStudy, index: str) -> bool:
        if study.id in self.new:  # a study new in this upload has only what `seen` holds
            return False
        return (
            self.session.execute(
                select(ImagingInstance.id).where(
                    ImagingInstance.study_id == study.id, ImagingInstance.uid_index == index
                )
            ).first()
            is not None
        )


def _hold(study: ImagingStudy, patient: Patient, meta: parse.Instance) -> None:
    reason = held_reason(patient, meta)
    if reason and study.confirmed_at is None:
        study.status = "held"
        merged = set(filter(None, (study.held_reason or "").split(","))) | set(reason.split(","))
        study.held_reason = ",".join(sorted(merged))


class _Chain(io.RawIOBase):
    """The instances' bytes one after another, read without joining them in memory."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.index = 0
        self.at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.index < len(self.parts):
            part = self.parts[self.index]
            if self.at < len(part):
                n = min(len(buffer), len(part) - self.at)
                buffer[:n] = part[self.at : self.at + n]
                self.at += n
                return n
            self.index, self.at = self.index + 1, 0
        return 0


def _remover(blobs: BlobStore, key: str) -> Callable[[], None]:
    return lambda: blobs.delete(key)


def accept(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    patient_id: str,
    files: Iterable[BinaryIO],
) -> Result:
    """Parse every file (4xx at the first unsound one), then store instances and rows."""
    principal.require("patients:write")
    patient = patients.get(
        session=session, principal=principal, patient_id=patient_id, audit_read=False
    )
    result = Result()
    parsed = parse_all(files, settings, result)
    store = _Store(session, principal, patient)
    seen: set[tuple[str, str]] = set()
    # The new instances of one upload go into one sealed blob, each at its offset: one write
    # and one fsync per upload instead of one per instance (the fsync was a third of intake).
    key = f"{principal.tenant_id}/imaging/{patient.id}/{new_id()}"
    stored: list[bytes] = []
    offset = 0
    for item in parsed:
        meta = item.meta
        study = store.study(meta)
        index = store.index(meta.sop_instance_uid or "")
        if (study.id, index) in seen or store.exists(study, index):
            result.duplicates += 1
            continue
        seen.add((study.id, index))
        series = store.one_series(study, meta)
        stored.append(item.data)
        row = ImagingInstance(
            id=new_id(),
            tenant_id=principal.tenant_id,
            study_id=study.id,
            series_id=series.id,
            uid=meta.sop_instance_uid or "",
            uid_index=index,
            sop_class_uid=meta.sop_class_uid[:64],
            transfer_syntax=meta.transfer_syntax[:64],
            number=meta.instance_number,
            kind=meta.kind,
            rows=meta.rows,
            columns=meta.columns,
            frames=meta.frames,
            preview_available=meta.preview_available,
            burned_in=meta.burned_in,
            window_center=meta.window_center,
            window_width=meta.window_width,
            size_bytes=len(item.data),
            sha256=hashlib.sha256(item.data).hexdigest(),
            blob_key=key,
            blob_offset=offset,
        )
        session.add(row)
        if row.kind == "waveform":
            result.new_waveforms.append(row)
        offset += len(item.data)
        series.instance_count += 1
        study.instance_count += 1
        modalities = set(filter(None, study.modalities.split(","))) | {meta.modality or "OT"}
        study.modalities = ",".join(sorted(modalities))[:64]
        study.body_part = study.body_part or meta.body_part
        _hold(study, patient, meta)
        result.stored += 1
    if stored:
        blobs.put(key, io.BufferedReader(_Chain(stored)), max_bytes=offset)
        after_rollback(session, _remover(blobs, key))
    session.flush()
    for study in store.studies.values():
        if study not in result.studies:
            result.studies.append(study)
            audit.record(
                session,
                action="imaging.study.create" if study.id in store.new else "imaging.study.add",
                principal=principal,
                object_type="imaging_study",
                object_id=study.id,
            )
    return result
