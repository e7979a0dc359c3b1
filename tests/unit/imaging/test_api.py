"""The imaging API: intake, listing, tree, previews, downloads, held/confirm, tenancy, tus."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pydicom
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, ImagingInstance, ImagingStudy
from clinscribe.db.session import session_scope
from clinscribe.imaging import service
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from tests.support import TenantWorld
from tests.unit.imaging import dicom_samples as samples

DICOM = "application/dicom"


def upload(
    client: TestClient, world: TenantWorld, files: list[tuple[str, bytes]], who: str = "clinician"
) -> object:
    return client.post(
        f"/api/v1/patients/{world.patient_id}/studies",
        headers=world.auth(who),
        files=[("files", (name, data, DICOM)) for name, data in files],
    )


def audit_actions(settings: Settings, object_id: str) -> list[str]:
    with session_scope(settings.resolved_database_url) as session:
        return list(
            session.execute(
                select(AuditEvent.action).where(AuditEvent.object_id == object_id)
            ).scalars()
        )


def test_an_anonymous_study_is_grouped_stored_listed_previewed_and_downloaded(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    files = samples.study(3)
    response = upload(client, tenant_a, [(f"{n}.dcm", d) for n, d in enumerate(files)])
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["stored"] == 3 and len(body["studies"]) == 1
    study = body["studies"][0]
    assert study["status"] == "available" and study["modalities"] == ["CT"]
    assert study["series_count"] == 1 and study["instance_count"] == 3
    headers = tenant_a.auth("reviewer")
    listed = client.get(f"/api/v1/patients/{tenant_a.patient_id}/studies", headers=headers)
    assert [s["id"] for s in listed.json()] == [study["id"]]
    tree = client.get(f"/api/v1/studies/{study['id']}", headers=headers).json()
    instances = tree["series"][0]["instances"]
    assert [i["number"] for i in instances] == [1, 2, 3]
    first = instances[0]
    assert first["rows"] == 128 and first["frames"] == 1 and first["kind"] == "image"
    assert first["preview_available"] is True
    png = client.get(first["preview_url"], headers=headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    windowed = client.get(first["preview_url"] + "?wc=40&ww=400", headers=headers)
    assert windowed.status_code == 200 and windowed.content != png.content
    assert client.get(first["preview_url"] + "?frame=1", headers=headers).status_code == 422
    original = client.get(first["file_url"], headers=headers)
    assert original.status_code == 200 and original.content == files[0]
    assert "imaging.instance.download" in audit_actions(settings, study["id"])
    # Uploading the same files again adds nothing.
    again = upload(client, tenant_a, [("0.dcm", files[0])]).json()  # type: ignore[attr-defined]
    assert again["stored"] == 0 and again["duplicates"] == 1


def test_a_study_naming_someone_else_is_held_until_a_clinician_confirms_it(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    data = samples.ct(patient_id="SOMEONE-9", patient_name="Else^Someone")
    study = upload(client, tenant_a, [("x.dcm", data)]).json()["studies"][0]  # type: ignore[attr-defined]
    assert study["status"] == "held" and study["held_reason"] == "patient_id,patient_name"
    url = f"/api/v1/studies/{study['id']}/confirm"
    assert client.post(url, headers=tenant_a.auth("reviewer")).status_code == 403
    fhir = client.get(
        f"/fhir/R4/ImagingStudy?patient={tenant_a.patient_id}", headers=tenant_a.auth("clinician")
    ).json()
    assert fhir["total"] == 0  # not part of the record yet
    confirmed = client.post(url, headers=tenant_a.auth("clinician"))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "available"
    assert client.post(url, headers=tenant_a.auth("clinician")).json()["error"] == "study_not_held"
    assert "imaging.study.confirm" in audit_actions(settings, study["id"])


def test_a_study_naming_the_patient_by_mrn_and_family_name_is_available(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    patient = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("clinician")
    ).json()
    data = samples.ct(patient_id=patient["mrn"], patient_name="TESTPATIENT^ADA")
    study = upload(client, tenant_a, [("x.dcm", data)]).json()["studies"][0]  # type: ignore[attr-defined]
    assert study["status"] == "available"


def test_a_zip_of_a_study_cd_is_read_skipping_its_dicomdir_and_readme(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    files = samples.study(2)
    archive = samples.zipped(
        {
            "DICOMDIR": samples.bundled_bytes("DICOMDIR"),
            "README.TXT": b"viewer instructions",
            "DICOM/IM1": files[0],
            "DICOM/IM2": files[1],
        }
    )
    body = upload(client, tenant_a, [("study.zip", archive)]).json()  # type: ignore[attr-defined]
    assert body["stored"] == 2 and body["skipped"] == 2


def test_multiframe_waveform_and_undecodable_instances_are_stored_with_what_they_allow(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    names = ("examples_ybr_color.dcm", "waveform_ecg.dcm", "MR_small_jpeg_ls_lossless.dcm")
    files = [(n, samples.bundled_bytes(n)) for n in names]
    body = upload(client, tenant_a, files).json()  # type: ignore[attr-defined]
    assert body["stored"] == 3
    headers = tenant_a.auth("clinician")
    by_class = {}
    for study in body["studies"]:
        tree = client.get(f"/api/v1/studies/{study['id']}", headers=headers).json()
        for series in tree["series"]:
            for inst in series["instances"]:
                by_class[inst["sop_class_name"]] = (study["id"], inst)
    _, us = by_class["Ultrasound Multi-frame Image Storage"]
    assert us["frames"] == 30 and us["preview_available"] is True  # JPEG baseline via Pillow
    frame = client.get(us["preview_url"] + "?frame=29", headers=headers)
    assert frame.status_code == 200 and frame.content.startswith(b"\x89PNG")
    ecg_study, ecg = by_class["12-lead ECG Waveform Storage"]
    assert ecg["kind"] == "waveform" and ecg["preview_available"] is False
    url = f"/api/v1/studies/{ecg_study}/instances/{ecg['sop_instance_uid']}/preview.png"
    refused = client.get(url, headers=headers)
    assert refused.status_code == 415 and refused.json()["error"] == "preview_unavailable"
    _, jpeg_ls = by_class["MR Image Storage"]
    assert jpeg_ls["transfer_syntax"] == "1.2.840.10008.1.2.4.80"
    assert jpeg_ls["preview_available"] is False  # no JPEG-LS decoder is installed
    # Another module reads an instance's file through the service.
    with session_scope(settings.resolved_database_url) as session:
        data = service.instance_bytes(
            session,
            tenant_a.principal("clinician"),
            ecg_study,
            ecg["sop_instance_uid"],
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
        )
    assert pydicom.dcmread(io.BytesIO(data)).WaveformSequence


def test_another_tenant_finds_no_study_instance_or_export(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    study = upload(client, tenant_a, [("x.dcm", samples.ct())]).json()["studies"][0]  # type: ignore[attr-defined]
    tree = client.get(f"/api/v1/studies/{study['id']}", headers=tenant_a.auth("clinician")).json()
    inst = tree["series"][0]["instances"][0]
    outsider = tenant_b.auth("admin")
    for url in (
        f"/api/v1/studies/{study['id']}",
        inst["preview_url"],
        inst["file_url"],
        f"/api/v1/studies/{study['id']}/export?deidentify=true",
    ):
        response = client.get(url, headers=outsider)
        assert response.status_code == 404 and response.json()["error"] == "not_found", url
    listed = client.get(f"/api/v1/patients/{tenant_a.patient_id}/studies", headers=outsider)
    assert listed.status_code == 404


def test_a_resumable_upload_marked_imaging_becomes_a_study(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    data = samples.ct()

    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    headers = {**tenant_a.auth("clinician"), "Tus-Resumable": "1.0.0"}
    meta = f"patient_id {b64(tenant_a.patient_id)},kind {b64('imaging')},filename {b64('a.dcm')}"
    created = client.post(
        "/api/v1/uploads",
        headers={**headers, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    patched = client.patch(
        location,
        headers={
            **headers,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
        content=data,
    )
    assert patched.status_code == 204, patched.text
    listed = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/studies", headers=tenant_a.auth("clinician")
    ).json()
    assert len(listed) == 1 and listed[0]["instance_count"] == 1


def test_held_studies_and_stored_rows_are_tenant_scoped_in_the_database(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    upload(client, tenant_a, [("x.dcm", samples.ct(patient_id="P-1", patient_name="A^B"))])
    with session_scope(settings.resolved_database_url) as session:
        study = session.execute(
            select(ImagingStudy).where(ImagingStudy.patient_id == tenant_a.patient_id)
        ).scalar_one()
        assert study.tenant_id == tenant_a.id
        raw = session.execute(
            select(ImagingStudy.dicom_patient_id_sealed).where(ImagingStudy.id == study.id)
        ).scalar_one()
        assert raw is not None and "P-1" not in raw  # sealed at rest
        tenants = session.execute(
            select(ImagingInstance.tenant_id).where(ImagingInstance.study_id == study.id)
        ).scalar_one()
        assert tenants == tenant_a.id


def test_erasing_a_patient_removes_their_studies_and_files(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    upload(client, tenant_a, [("x.dcm", samples.ct())])
    folder = Path(settings.blob_dir) / tenant_a.id / "imaging" / tenant_a.patient_id
    assert any(p.is_file() for p in folder.rglob("*"))
    erased = client.delete(
        f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("admin")
    )
    assert erased.status_code == 204, erased.text
    with session_scope(settings.resolved_database_url) as session:
        left = session.execute(
            select(ImagingStudy.id).where(ImagingStudy.patient_id == tenant_a.patient_id)
        ).all()
    assert left == [] and not any(p.is_file() for p in folder.rglob("*"))


def test_an_ecg_sent_with_a_study_is_analysed_once_the_study_is_the_patients(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    ecg = samples.bundled_bytes("waveform_ecg.dcm")
    body = upload(client, tenant_a, [("ecg.dcm", ecg)]).json()  # type: ignore[attr-defined]
    (study,) = body["studies"]
    # The sample names another patient: held, and nothing enters this patient's record yet.
    assert study["status"] == "held" and body["waveforms"] == []
    waveforms = f"/api/v1/patients/{tenant_a.patient_id}/waveforms"
    assert client.get(waveforms, headers=headers).json() == []
    confirmed = client.post(f"/api/v1/studies/{study['id']}/confirm", headers=headers).json()
    (waveform_id,) = confirmed["waveforms"]
    (listed,) = client.get(waveforms, headers=headers).json()
    assert listed["id"] == waveform_id and listed["source"] == "imaging"
    detail = client.get(f"/api/v1/waveforms/{waveform_id}", headers=headers).json()
    assert len(detail["leads"]) == 12
    heart_rate = next(m for m in detail["measurements"] if m["key"] == "heart_rate")
    assert abs(heart_rate["value"] - 61.1) < 3  # the device's own figure: 61
    assert detail["observation_ids"]  # proposed to the record, for a clinician to accept
    # An image in a study is not a waveform: no analysis, no error.
    again = upload(client, tenant_a, [("ct.dcm", samples.ct())]).json()  # type: ignore[attr-defined]
    assert again["waveforms"] == []
