"""Bad imaging uploads: each a clear 4xx in the one error shape that leaves no rows or files."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import ImagingInstance, ImagingSeries, ImagingStudy
from clinscribe.db.session import session_scope
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant
from tests.unit.imaging import dicom_samples as samples


def _rows(settings: Settings, patient_id: str) -> int:
    with session_scope(settings.resolved_database_url) as session:
        studies = select(ImagingStudy.id).where(ImagingStudy.patient_id == patient_id)
        return sum(
            int(session.execute(select(func.count()).where(clause)).scalar_one())
            for clause in (
                ImagingStudy.id.in_(studies),
                ImagingSeries.study_id.in_(studies),
                ImagingInstance.study_id.in_(studies),
            )
        )


def _blobs(settings: Settings, world: TenantWorld) -> list[Path]:
    folder = Path(settings.blob_dir) / world.id / "imaging" / world.patient_id
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _zip_with(names: dict[str, bytes]) -> bytes:
    return samples.zipped(names)


def _bomb() -> bytes:
    """A zip whose one member unpacks to 16 MiB of zeros (16 KiB compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.dcm", b"\0" * (16 * 1024 * 1024))
    return out.getvalue()


def _flood(count: int) -> bytes:
    return samples.zipped({f"f{n}.dcm": b"x" for n in range(count)})


CASES = [
    ("not_dicom", lambda: [("a.pdf", b"%PDF-1.4 not an image")], 415, "not_dicom"),
    ("truncated", lambda: [("t.dcm", samples.ct()[:-4000])], 422, "dicom_truncated"),
    ("cut_in_header", lambda: [("t.dcm", samples.ct()[:353])], 422, "dicom_truncated"),
    (
        "malformed_sequence",
        lambda: [("m.dcm", samples.malformed_sequence())],
        422,
        "dicom_malformed",
    ),
    (
        "traversal",
        lambda: [("s.zip", _zip_with({"../../etc/evil.dcm": samples.ct()}))],
        422,
        "zip_unsafe",
    ),
    (
        "absolute",
        lambda: [("s.zip", _zip_with({"/srv/evil.dcm": samples.ct()}))],
        422,
        "zip_unsafe",
    ),
    ("bomb", lambda: [("s.zip", _bomb())], 413, "zip_too_large"),
    ("flood", lambda: [("s.zip", _flood(60))], 413, "zip_too_large"),
    (
        "no_instances",
        lambda: [("s.zip", _zip_with({"README": b"hello"}))],
        422,
        "no_dicom_instances",
    ),
    (
        "dicomdir_alone",
        lambda: [("DICOMDIR", samples.bundled_bytes("DICOMDIR"))],
        422,
        "dicom_not_instance",
    ),
    # One good file and one bad: the good one is not kept either.
    (
        "good_then_bad",
        lambda: [("g.dcm", samples.ct()), ("b.dcm", b"junk" * 100)],
        415,
        "not_dicom",
    ),
]


@pytest.fixture(scope="module")
def small(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[TestClient, Settings, TenantWorld]]:
    """An app whose caps are small: 4 MiB per upload, 50 zip members, 8 MiB unpacked."""
    data_dir = tmp_path_factory.mktemp("imaging-caps") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "clinscribe.db")
    settings = make_settings(
        data_dir,
        imaging_max_upload_bytes=4 * 1024 * 1024,
        imaging_zip_max_members=50,
        imaging_zip_max_bytes=8 * 1024 * 1024,
    )
    app = create_app(settings, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, settings, build_tenant(settings)


@pytest.mark.parametrize(("case", "files", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_upload_is_refused_clearly_and_leaves_nothing_behind(
    small: tuple[TestClient, Settings, TenantWorld],
    case: str,
    files: object,
    status: int,
    code: str,
) -> None:
    client, settings, world = small
    parts = [("files", (name, data, "application/dicom")) for name, data in files()]  # type: ignore[operator]
    response = client.post(
        f"/api/v1/patients/{world.patient_id}/studies", headers=world.auth("clinician"), files=parts
    )
    assert response.status_code == status, (case, response.text)
    assert set(response.json()) == {"error", "detail"} and response.json()["error"] == code
    assert _rows(settings, world.patient_id) == 0
    assert _blobs(settings, world) == []


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(
    small: tuple[TestClient, Settings, TenantWorld],
) -> None:
    client, settings, world = small
    big = samples.ct() + b"\0" * (5 * 1024 * 1024)
    response = client.post(
        f"/api/v1/patients/{world.patient_id}/studies",
        headers=world.auth("clinician"),
        files=[("files", ("big.dcm", big, "application/dicom"))],
    )
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    assert _rows(settings, world.patient_id) == 0 and _blobs(settings, world) == []
    # Nothing already accepted is lost: a good upload still lands afterwards.
    ok = client.post(
        f"/api/v1/patients/{world.patient_id}/studies",
        headers=world.auth("clinician"),
        files=[("files", ("ok.dcm", samples.ct(), "application/dicom"))],
    )
    assert ok.status_code == 201
    assert _rows(settings, world.patient_id) == 3 and len(_blobs(settings, world)) == 1
