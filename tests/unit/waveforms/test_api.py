"""The waveforms API: intake of a DICOM ECG and a zipped WFDB record, measurements filed as
proposed observations, strips, tenancy, and bad uploads that leave nothing behind."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, ClinicalObservation, Waveform
from clinscribe.db.session import session_scope
from tests.support import TenantWorld, add_patient_and_encounter, add_waveform, ecg_wfdb_files
from tests.unit.waveforms import samples
from tests.unit.waveforms.conftest import Env

Files = list[tuple[str, bytes]]


def upload(client: TestClient, world: TenantWorld, files: Files, patient_id: str = "") -> Any:
    return client.post(
        f"/api/v1/patients/{patient_id or world.patient_id}/waveforms",
        headers=world.auth("clinician"),
        files=[("file", (name, data, "application/octet-stream")) for name, data in files],
    )


def stored(settings: Settings) -> tuple[int, int, list[Path]]:
    """Waveform rows, observation rows and waveform blob files now in the store."""
    with session_scope(settings.resolved_database_url) as session:
        rows = session.execute(select(func.count()).select_from(Waveform)).scalar_one()
        obs = session.execute(select(func.count()).select_from(ClinicalObservation)).scalar_one()
    blobs = [p for p in settings.blob_dir.rglob("*") if p.is_file() and "waveforms" in p.parts]
    return rows, obs, blobs


def test_a_dicom_ecg_is_measured_drawn_and_filed_as_proposed_observations(env: Env) -> None:
    client, settings, tenant_a = env.client, env.settings, env.a
    response = upload(client, tenant_a, [("ecg.dcm", samples.dicom_bytes())])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/waveforms/{body['id']}"
    assert body["format"] == "dicom" and len(body["leads"]) == 12
    assert (body["sampling_rate"], body["duration"], body["analysis_lead"]) == (1000.0, 10.0, "II")
    by_key = {m["key"]: m for m in body["measurements"]}
    assert by_key["heart_rate"]["code"] == "8867-4" and by_key["heart_rate"]["unit"] == "/min"
    assert abs(by_key["heart_rate"]["value"] - by_key["heart_rate"]["device_value"]) <= 2
    assert by_key["qt_ms"]["code"] == "8634-8" and by_key["qt_ms"]["device_value"] == 368.0
    assert by_key["rmssd_ms"]["code"] is None
    headers = tenant_a.auth("clinician")
    observations = client.get(
        f"/api/v1/patients/{tenant_a.patient_id}/observations", headers=headers
    ).json()
    items = observations["items"] if isinstance(observations, dict) else observations
    filed = [o for o in items if o["id"] in body["observation_ids"]]
    assert {o["code"] for o in filed} == {
        "8867-4", "8637-1", "80404-7", "8625-6", "8633-0", "8634-8", "8636-3",
    }  # fmt: skip
    assert {(o["state"], o["source"]) for o in filed} == {("proposed", "device")}
    assert all(o["sources"] == [{"kind": "device", "device": "ecg", "waveform_id": body["id"]}]
               for o in filed)  # fmt: skip
    listed = client.get(f"/api/v1/patients/{tenant_a.patient_id}/waveforms", headers=headers)
    assert body["id"] in [w["id"] for w in listed.json()]
    detail = client.get(f"/api/v1/waveforms/{body['id']}", headers=headers).json()
    assert detail["observation_ids"] == body["observation_ids"]
    with session_scope(settings.resolved_database_url) as session:
        actions = session.execute(
            select(AuditEvent.action).where(AuditEvent.object_id == body["id"])
        ).scalars()
        assert {"waveform.create", "waveform.read"} <= set(actions)


def test_the_strip_is_served_as_svg_and_png_and_filtered_by_lead(env: Env) -> None:
    client, tenant_a = env.client, env.a
    waveform = upload(client, tenant_a, [("ecg.dcm", samples.dicom_bytes())]).json()
    headers = tenant_a.auth("clinician")
    svg = client.get(waveform["strip_svg"], headers=headers)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.count("<polyline data-lead=") == 13
    png = client.get(waveform["strip_png"], headers=headers)
    assert Image.open(io.BytesIO(png.content)).size == (1301, 601)
    two = client.get(waveform["strip_svg"], params={"leads": "ii,V1"}, headers=headers)
    assert two.status_code == 200 and two.text.count("<polyline data-lead=") == 2
    assert 'data-lead="II"' in two.text and 'data-lead="V1"' in two.text
    png_two = client.get(waveform["strip_png"], params={"leads": "V1"}, headers=headers)
    assert Image.open(io.BytesIO(png_two.content)).size[1] == 151
    bad = client.get(waveform["strip_svg"], params={"leads": "V9"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "unknown_lead"


def test_a_zipped_wfdb_record_of_a_simulated_ecg_measures_its_heart_rate(env: Env) -> None:
    client, tenant_a = env.client, env.a
    files = samples.wfdb_files(samples.simulated(75), 500)
    response = upload(client, tenant_a, [("record.zip", samples.zipped(files))])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "wfdb" and body["leads"] == ["II"]
    heart_rate = next(m for m in body["measurements"] if m["key"] == "heart_rate")
    assert abs(heart_rate["value"] - 75) <= 3 and heart_rate["device_value"] is None
    # The same record as separate .hea and .dat parts is read the same way.
    again = upload(client, tenant_a, files).json()
    assert again["measurements"] == body["measurements"]


def test_another_tenants_waveform_and_patient_are_not_found(env: Env) -> None:
    client, tenant_a, tenant_b = env.client, env.a, env.b
    waveform = upload(client, tenant_a, ecg_wfdb_files()).json()
    headers = tenant_b.auth("clinician")
    for url in (
        f"/api/v1/waveforms/{waveform['id']}",
        waveform["strip_svg"],
        waveform["strip_png"],
        f"/api/v1/patients/{tenant_a.patient_id}/waveforms",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert set(response.json()) == {"error", "detail"}
    response = upload(client, tenant_b, ecg_wfdb_files(), patient_id=tenant_a.patient_id)
    assert response.status_code == 404


def _wfdb() -> Files:
    return samples.wfdb_files(samples.simulated(75), 500)


BAD: dict[str, tuple[Any, int, str]] = {
    "image dicom": (lambda: [("ct.dcm", samples.image_dicom_bytes())], 422, "not_a_waveform"),
    "truncated dicom": (
        lambda: [("ecg.dcm", samples.dicom_bytes()[:60_000])],
        422,
        "waveform_unreadable",
    ),
    "header without .dat": (
        lambda: [f for f in _wfdb() if f[0].endswith(".hea")],
        422,
        "waveform_signal_missing",
    ),
    "short .dat": (
        lambda: [(n, d[:-100] if n.endswith(".dat") else d) for n, d in _wfdb()],
        422,
        "waveform_length_mismatch",
    ),
    "absurd sampling rate": (
        lambda: samples.header_with(_wfdb(), " 500 ", " 900000 "),
        422,
        "waveform_bad_sampling_rate",
    ),
    "not an ecg at all": (lambda: [("notes.txt", b"BP 120/80")], 422, "waveform_unreadable"),
    "empty": (lambda: [("ecg.dcm", b"")], 422, "waveform_unreadable"),
}


def test_a_bad_upload_is_a_clear_4xx_and_leaves_nothing_behind(env: Env) -> None:
    before = stored(env.settings)
    for case, (make, status, code) in BAD.items():
        response = upload(env.client, env.a, make())
        assert response.status_code == status, (case, response.text)
        assert response.json() == {"error": code, "detail": response.json()["detail"]}, case
        assert stored(env.settings) == before, case


def test_an_upload_over_the_size_limit_is_413(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env.settings, "waveform_max_bytes", 50_000)
    before = stored(env.settings)
    response = upload(env.client, env.a, [("ecg.dcm", samples.dicom_bytes())])
    assert response.status_code == 413 and response.json()["error"] == "waveform_too_large"
    assert stored(env.settings) == before


def test_a_flat_signal_past_the_json_body_limit_is_stored_without_measurements(env: Env) -> None:
    client, tenant_a = env.client, env.a
    import numpy as np

    # 12 leads x 60 s at 1000 Hz: a 1.4 MB .dat, past the 1 MiB limit of JSON bodies.
    files = samples.wfdb_files(np.zeros((60_000, 12)), 1000, tuple(f"ch{i}" for i in range(12)))
    assert sum(len(d) for _, d in files) > 1024 * 1024
    response = upload(client, tenant_a, files)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["measurements"] == [] and body["observation_ids"] == []
    assert client.get(body["strip_png"], headers=tenant_a.auth("clinician")).status_code == 200


def test_erasing_the_patient_removes_their_waveforms_and_files(env: Env) -> None:
    patient_id, _ = add_patient_and_encounter(env.settings, env.a)
    add_waveform(env.settings, env.a, patient_id)
    prefix = env.settings.blob_dir / env.a.id / "waveforms" / patient_id
    assert len([p for p in prefix.rglob("*") if p.is_file()]) == 3
    response = env.client.delete(f"/api/v1/patients/{patient_id}", headers=env.a.auth("admin"))
    assert response.status_code == 204, response.text
    assert not [p for p in prefix.rglob("*") if p.is_file()]
    with session_scope(env.settings.resolved_database_url) as session:
        left = select(func.count()).select_from(Waveform).where(Waveform.patient_id == patient_id)
        assert session.execute(left).scalar_one() == 0
