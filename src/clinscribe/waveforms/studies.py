"""ECG objects that arrive inside an imaging study are analysed like a direct waveform upload.

A 12-lead ECG sent with a study (DICOM upload or tus) is stored by imaging as a `waveform`
instance; here it is also read, measured and drawn, and its measurements proposed to the record,
so the clinician sees the same strip and figures whichever way the ECG came in. A study held for
a patient mismatch is analysed only once a clinician confirms it: nothing enters the record of
a patient the study may not belong to.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.models import ImagingInstance, ImagingStudy, Waveform
from clinscribe.imaging.service import read_blob
from clinscribe.observability.logging import get_logger
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by
from clinscribe.storage.blobs import BlobStore
from clinscribe.waveforms import service
from clinscribe.waveforms.core.errors import WaveformError
from clinscribe.waveforms.core.read import read_dicom

log = get_logger(__name__)


def analyse(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    blobs: BlobStore,
    instances: Iterable[ImagingInstance],
) -> list[Waveform]:
    """Waveforms for these instances of available studies; an instance that is not a readable
    ECG (another waveform type, a damaged object) stays a stored instance only."""
    out: list[Waveform] = []
    for row in instances:
        study = session.get(ImagingStudy, row.study_id)
        if study is None or study.status != "available" or row.kind != "waveform":
            continue
        try:
            recording = read_dicom(read_blob(blobs, row))
            waveform = service.ingest(
                session=session,
                settings=settings,
                principal=principal,
                patient_id=study.patient_id,
                recording=recording,
                source="imaging",
                blobs=blobs,
                imaging_instance_id=row.id,
            )
        except WaveformError as exc:
            # Ids and the reason only: the object's content is PHI.
            log.info("study_waveform_skipped", instance_id=row.id, reason=exc.code)
            continue
        out.append(waveform)
    return out


def analyse_confirmed(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    blobs: BlobStore,
    study: ImagingStudy,
) -> list[Waveform]:
    """A study a clinician just confirmed: its ECG instances, held back until now."""
    rows = session.scalars(
        owned_by(ImagingInstance, principal.tenant_id).where(
            ImagingInstance.study_id == study.id, ImagingInstance.kind == "waveform"
        )
    )
    return analyse(
        session=session, settings=settings, principal=principal, blobs=blobs, instances=list(rows)
    )
