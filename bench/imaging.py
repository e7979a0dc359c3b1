"""Imaging: bundled DICOM files ingest, preview latency of a 512x512 CT slice, study intake rate.

Runs a real `clinscribe serve` (uvicorn, one process, SQLite) on loopback, like bench/api.py,
and drives it over HTTP:

1. every DICOM file pydicom bundles, uploaded one by one (which ingest, which are refused, why);
2. GET .../preview.png of one 512x512 16-bit CT slice, `--previews` times: p50/p95 latency
   (auth, audit, blob decryption, decode, modality LUT, window, PNG);
3. a 200-instance study of 512x512 CT slices with fresh UIDs, uploaded in one multipart request
   (and once as a zip), `--rounds` times: instances/s.

    python bench/imaging.py [--previews 60] [--rounds 3] [--instances 200] [--port 8791]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pydicom
from pydicom.data import get_testdata_file, get_testdata_files
from pydicom.uid import generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import _env, _seed, _serve


def _ct_512(study_uid: str, series_uid: str, number: int) -> bytes:
    path = get_testdata_file("CT_small.dcm")
    assert path is not None
    ds = pydicom.dcmread(str(path))
    small = ds.pixel_array
    big = np.kron(small, np.ones((4, 4), dtype=small.dtype))
    big = big + (np.arange(512, dtype=np.int16)[None, :] % 7)  # not four-by-four blocks only
    ds.Rows, ds.Columns = big.shape
    ds.PixelData = big.astype(small.dtype).tobytes()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.InstanceNumber = number
    ds.PatientID, ds.PatientName = "", ""
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _bundled() -> list[tuple[str, bytes]]:
    found = []
    for name in sorted(get_testdata_files()):
        try:
            data = Path(name).read_bytes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pydicom.dcmread(io.BytesIO(data))
        except Exception:  # noqa: S112 (not a DICOM dataset)
            continue
        found.append((Path(name).name, data))
    return found


def _upload(client: httpx.Client, patient: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    parts = [("files", (n, d, "application/dicom")) for n, d in files]
    return client.post(f"/api/v1/patients/{patient}/studies", files=parts)


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), None)
        _, token = _seed(env)
        server = _serve(env, args.port)
        try:
            base = f"http://127.0.0.1:{args.port}"
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
                patient = client.post(
                    "/api/v1/patients",
                    json={
                        "mrn": uuid.uuid4().hex[:8],
                        "given_name": "Bench",
                        "family_name": "Mark",
                    },
                ).json()["id"]
                _bundled_files(client, patient)
                _previews(client, patient, args.previews)
                _intake(client, patient, args.instances, args.rounds)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _bundled_files(client: httpx.Client, patient: str) -> None:
    outcomes: dict[str, list[str]] = {}
    for name, data in _bundled():
        response = _upload(client, patient, [(name, data)])
        key = "ingested" if response.status_code == 201 else f"refused {response.json()['error']}"
        outcomes.setdefault(key, []).append(name)
    print("bundled DICOM files:", {k: len(v) for k, v in outcomes.items()})
    for key, names in outcomes.items():
        if key != "ingested":
            print(f"  {key}: {', '.join(names)}")


def _previews(client: httpx.Client, patient: str, count: int) -> None:
    study = _upload(client, patient, [("ct.dcm", _ct_512(generate_uid(), generate_uid(), 1))])
    study_id = study.json()["studies"][0]["id"]
    tree = client.get(f"/api/v1/studies/{study_id}").json()
    url = tree["series"][0]["instances"][0]["preview_url"]
    times = []
    for n in range(count + 3):
        start = time.perf_counter()
        response = client.get(url, params={"wc": 40, "ww": 400} if n % 2 else None)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
        if n >= 3:  # the first requests warm imports and caches
            times.append(elapsed * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(
        f"preview 512x512 CT: n={len(times)} p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )


def _intake(client: httpx.Client, patient: str, instances: int, rounds: int) -> None:
    rates = []
    for r in range(rounds + 1):
        study_uid, series_uid = generate_uid(), generate_uid()
        files = [(f"{n}.dcm", _ct_512(study_uid, series_uid, n + 1)) for n in range(instances)]
        size = sum(len(d) for _, d in files)
        as_zip = r == rounds
        if as_zip:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
                for name, data in files:
                    archive.writestr(name, data)
            payload = [("study.zip", buffer.getvalue())]
        else:
            payload = files
        start = time.perf_counter()
        response = _upload(client, patient, payload)
        elapsed = time.perf_counter() - start
        assert response.status_code == 201, response.text
        assert response.json()["stored"] == instances
        rate = instances / elapsed
        label = "zip" if as_zip else f"round {r + 1}"
        print(
            f"intake {label}: {instances} instances ({size / 1e6:.0f} MB) "
            f"in {elapsed:.2f} s = {rate:.1f}/s"
        )
        if not as_zip:
            rates.append(rate)
    print(
        f"intake median over {rounds} multipart rounds: {statistics.median(rates):.1f} instances/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--previews", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    run(args)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
