"""Bulk import of records: a folder per patient, every file in it one of their documents.

A patient folder may hold `patient.json` (`mrn` or `key`, `given_name`/`family_name` or `name`,
`sex`, `birth_date` or `dob`); without it the folder name is the MRN. The patient is found by
MRN or created, and each file is accepted exactly like an upload (probed, stored sealed,
extraction queued); a file that cannot be read is reported and skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.documents import service
from clinscribe.errors import ClinscribeError, Unprocessable
from clinscribe.records import patients
from clinscribe.records.schemas import PatientCreate
from clinscribe.security.principal import Principal
from clinscribe.storage.blobs import BlobStore

META = "patient.json"
_MRN_SAFE = re.compile(r"[^A-Za-z0-9._\-]+")


@dataclass
class FileOutcome:
    file: str
    document_id: str | None = None
    job_id: str | None = None
    error: str | None = None


@dataclass
class PatientOutcome:
    folder: str
    patient_id: str
    created: bool
    files: list[FileOutcome] = field(default_factory=list)


def importer(tenant_id: str) -> Principal:
    """The actor bulk imports are recorded under (an operator task, with write scope)."""
    return Principal(
        kind="api_key",
        tenant_id=tenant_id,
        actor_id="cli:import-records",
        scopes=frozenset({"write"}),
    )


def patient_data(folder: Path) -> PatientCreate:
    meta: dict[str, Any] = {}
    if (folder / META).is_file():
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise Unprocessable(f"{folder.name}/{META} is not valid JSON") from exc
    mrn = str(meta.get("mrn") or meta.get("key") or folder.name)
    given, family = meta.get("given_name"), meta.get("family_name")
    if not (given and family) and meta.get("name"):
        *first, last = str(meta["name"]).split()
        given, family = " ".join(first) or last, last
    values = {
        "mrn": _MRN_SAFE.sub("-", mrn)[:64],
        "given_name": given or "Unknown",
        "family_name": family or folder.name,
        "birth_date": meta.get("birth_date") or meta.get("dob"),
        "sex": str(meta.get("sex") or "unknown").lower(),
    }
    if values["sex"] in ("f", "m"):
        values["sex"] = {"f": "female", "m": "male"}[values["sex"]]
    try:
        return PatientCreate.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise Unprocessable(f"{folder.name}: patient {where}: {err['msg']}") from None


def find_or_create(
    *, session: Session, principal: Principal, data: PatientCreate
) -> tuple[str, bool]:
    rows, _ = patients.list(
        session=session, principal=principal, mrn=data.mrn, family_name=None, limit=1, offset=0
    )
    if rows:
        return rows[0].id, False
    return patients.create(session=session, principal=principal, data=data).id, True


def document_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name != META and not p.name.startswith(".")
    )


def import_file(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    patient_id: str,
    path: Path,
) -> FileOutcome:
    """Accept one file (the caller commits); a refused file is an outcome, not an exception."""
    outcome = FileOutcome(file=path.name)
    try:
        with path.open("rb") as data:
            document, job = service.accept(
                session=session,
                settings=settings,
                blobs=blobs,
                principal=principal,
                patient_id=patient_id,
                data=data,
                filename=path.name,
                source="import",
            )
    except ClinscribeError as exc:
        outcome.error = f"{exc.code}: {exc.message}"
        return outcome
    outcome.document_id, outcome.job_id = document.id, job.id
    return outcome
