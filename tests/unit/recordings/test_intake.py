"""Intake over HTTP: uploads, typed text, validation before queueing, backpressure."""

from __future__ import annotations

import hashlib
import io
import os
import struct

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinscribe.config import Settings
from clinscribe.db.models import Job, Recording
from clinscribe.db.session import session_scope
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from tests.support import TenantWorld, wav_bytes


def upload(client: TestClient, world: TenantWorld, data: bytes, name: str = "a.wav", **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/encounters/{world.encounter_id}/recordings",
        headers=world.auth("clinician"),
        files={"file": (name, data, "application/octet-stream")},
        data=form,
    )


def count(settings: Settings, model: type) -> int:
    with session_scope(settings.resolved_database_url) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def encode(
    fmt: str, codec: str, seconds: float = 1.0, rate: int = 16_000, layout: str = "mono"
) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        samples = (np.sin(np.arange(int(seconds * rate)) / 10) * 0.3).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(
            np.stack([samples] * (2 if layout == "stereo" else 1)), format="fltp", layout=layout
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_a_wav_upload_is_stored_hashed_and_queued(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    data = wav_bytes(1.0)
    response = upload(client, tenant_a, data, mode="conversation")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["recording"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["recording"]["size_bytes"] == len(data)
    assert body["recording"]["mode"] == "conversation"
    assert abs(body["recording"]["duration_s"] - 1.0) < 0.01
    assert body["job"]["status"] == "queued" and body["job"]["kind"] == "transcribe"
    assert response.headers["location"] == f"/api/v1/jobs/{body['job']['id']}"
    job = client.get(response.headers["location"], headers=tenant_a.auth("reviewer"))
    assert job.status_code == 200 and job.json()["subject_id"] == body["recording"]["id"]
    key = f"{tenant_a.id}/{tenant_a.encounter_id}/{body['recording']['id']}"
    # At rest the blob is ciphertext; read through the store it is the uploaded file.
    assert data[12:40] not in (settings.blob_dir / key).read_bytes()
    with LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)).open(key) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == body["recording"]["sha256"]


def test_every_contract_format_is_accepted(client: TestClient, tenant_a: TenantWorld) -> None:
    for name, data in {
        "a.flac": encode("flac", "flac"),
        "a.mp3": encode("mp3", "libmp3lame", rate=22_050),
        "a.ogg": encode("ogg", "libopus", rate=48_000),
        "a.webm": encode("webm", "libopus", rate=48_000),
        "a.m4a": encode("mp4", "aac", rate=44_100),
        "stereo.wav": wav_bytes(0.5, channels=2),
    }.items():
        response = upload(client, tenant_a, data, name)
        assert response.status_code == 202, (name, response.text)


def test_bad_audio_is_refused_before_anything_is_queued(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    wav = wav_bytes(1.0)
    cases = {
        "zero bytes": (b"", 400),
        "truncated header": (wav[:30], 422),
        "random bytes named .wav": (os.urandom(4096), 415),
        "text named .wav": (b"hello, this is not audio at all\n" * 20, 415),
    }
    for label, (data, status) in cases.items():
        response = upload(client, tenant_a, data)
        assert response.status_code == status, (label, response.status_code, response.text)
        assert set(response.json()) == {"error", "detail"}
        assert response.json()["error"].startswith("audio_"), label
    assert count(settings, Job) == 0 and count(settings, Recording) == 0
    assert not any(p.is_file() for p in settings.blob_dir.rglob("*"))


def test_an_mp3_renamed_wav_is_decoded_by_its_content(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    response = upload(client, tenant_a, encode("mp3", "libmp3lame", rate=22_050), "really-mp3.wav")
    assert response.status_code == 202
    assert response.json()["recording"]["codec"].startswith("mp3")


def test_a_ten_hour_flac_is_refused_by_its_header(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    flac = bytearray(encode("flac", "flac", seconds=1.0))
    # STREAMINFO: total samples are the low 36 bits of bytes 18..22 after "fLaC" + block header.
    offset = 4 + 4 + 13
    total = 10 * 3600 * 16_000
    packed = struct.unpack(">Q", bytes(flac[offset - 3 : offset + 5]))[0]
    packed = (packed & ~((1 << 36) - 1)) | total
    flac[offset - 3 : offset + 5] = struct.pack(">Q", packed)
    response = upload(client, tenant_a, bytes(flac), "bomb.flac")
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "audio_too_long"


def test_an_upload_over_the_size_limit_is_413(settings: Settings, tenant_a: TenantWorld) -> None:
    from clinscribe.api.app import create_app

    small = settings.model_copy(update={"max_upload_bytes": 20_000})
    with TestClient(create_app(small, start_worker=False)) as client:
        response = upload(client, tenant_a, wav_bytes(2.0))
    assert response.status_code == 413


def test_typed_dialogue_becomes_a_transcript_with_speakers(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    text = "Doctor: What brings you in today?\nPatient: I have had a cough for three days.\n"
    response = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/text",
        json={"text": text},
        headers=tenant_a.auth("clinician"),
    )
    assert response.status_code == 201, response.text
    transcript = client.get(response.headers["location"], headers=tenant_a.auth("reviewer")).json()
    assert [s["speaker"] for s in transcript["segments"]] == ["clinician", "patient"]
    assert transcript["segments"][1]["text"] == "I have had a cough for three days."
    assert transcript["engine"] == "text" and response.json()["recording"]["mode"] == "conversation"
    listed = client.get(
        f"/api/v1/encounters/{tenant_a.encounter_id}/transcripts",
        headers=tenant_a.auth("clinician"),
    ).json()
    assert [t["id"] for t in listed] == [transcript["id"]]


def test_empty_or_oversized_text_is_refused(
    client: TestClient, tenant_a: TenantWorld, settings: Settings
) -> None:
    url = f"/api/v1/encounters/{tenant_a.encounter_id}/text"
    headers = tenant_a.auth("clinician")
    assert client.post(url, json={"text": "   "}, headers=headers).status_code == 422
    assert client.post(url, json={"text": ""}, headers=headers).status_code == 422
    assert client.post(url, json={"text": 5}, headers=headers).status_code == 422
    huge = "word " * (settings.max_text_chars // 5 + 10)
    assert client.post(url, json={"text": huge}, headers=headers).status_code == 413


def test_draining_and_a_full_queue_answer_503_with_retry_after(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    from clinscribe.api.app import create_app

    full = settings.model_copy(update={"max_queue_depth": 1})
    with TestClient(create_app(full, start_worker=False)) as client:
        assert upload(client, tenant_a, wav_bytes(0.5)).status_code == 202
        refused = upload(client, tenant_a, wav_bytes(0.5))
        assert refused.status_code == 503
        assert refused.json()["error"] == "queue_full" and int(refused.headers["retry-after"]) > 0
        client.app.state.draining = True  # type: ignore[attr-defined]
        draining = upload(client, tenant_a, wav_bytes(0.5))
        assert draining.status_code == 503 and "draining" in draining.json()["detail"]
        assert "retry-after" in draining.headers


def test_recordings_of_another_tenant_are_not_found(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    response = upload(client, tenant_b, wav_bytes(0.5))
    recording_id = response.json()["recording"]["id"]
    assert (
        client.get(f"/api/v1/recordings/{recording_id}", headers=tenant_a.auth("admin")).status_code
        == 404
    )
    forbidden = client.post(
        f"/api/v1/encounters/{tenant_b.encounter_id}/recordings",
        headers=tenant_a.auth("clinician"),
        files={"file": ("a.wav", wav_bytes(0.5), "audio/wav")},
    )
    assert forbidden.status_code == 404


def test_uploads_may_exceed_the_json_body_limit(client: TestClient, tenant_a: TenantWorld) -> None:
    data = wav_bytes(60.0)  # ~1.9 MB, above the 1 MiB JSON limit
    assert len(data) > 1_048_576
    assert upload(client, tenant_a, data).status_code == 202
    too_big_json = client.post(
        "/api/v1/patients",
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={**tenant_a.auth("clinician"), "Content-Type": "application/json"},
    )
    assert too_big_json.status_code == 413


def test_recorded_audio_plays_back_with_byte_ranges(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    data = wav_bytes(1.0)
    recording = upload(client, tenant_a, data, "visit.wav").json()["recording"]
    url = f"/api/v1/recordings/{recording['id']}/audio"
    whole = client.get(url, headers=tenant_a.auth("reviewer"))
    assert whole.status_code == 200 and whole.content == data
    part = client.get(url, headers={**tenant_a.auth("reviewer"), "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == data[:100]


def test_deleting_a_patient_removes_recordings_transcripts_and_audio_files(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    recording = upload(client, tenant_a, wav_bytes(0.5)).json()["recording"]
    text = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/text",
        json={"text": "Doctor: Any pain?\nPatient: No."},
        headers=tenant_a.auth("clinician"),
    )
    blob = settings.blob_dir / tenant_a.id / tenant_a.encounter_id / recording["id"]
    assert blob.is_file()
    deleted = client.delete(
        f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("admin")
    )
    assert deleted.status_code == 204
    assert not blob.exists()
    admin = tenant_a.auth("admin")
    assert client.get(f"/api/v1/recordings/{recording['id']}", headers=admin).status_code == 404
    assert client.get(text.headers["location"], headers=admin).status_code == 404
    assert count(settings, Recording) == 0 and count(settings, Job) == 0


def test_a_refused_delete_keeps_the_audio(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    recording = upload(client, tenant_a, wav_bytes(0.5)).json()["recording"]
    blob = settings.blob_dir / tenant_a.id / tenant_a.encounter_id / recording["id"]
    refused = client.delete(
        f"/api/v1/encounters/{tenant_a.encounter_id}", headers=tenant_a.auth("clinician")
    )
    assert refused.status_code == 403 and blob.is_file()
    assert (
        client.delete(
            f"/api/v1/encounters/{tenant_a.encounter_id}", headers=tenant_a.auth("admin")
        ).status_code
        == 204
    )
    assert not blob.exists()


def test_the_drain_file_turns_new_work_away_and_readiness_off(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    settings.drain_file.write_text("draining\n")
    refused = upload(client, tenant_a, wav_bytes(0.5))
    assert refused.status_code == 503 and "retry-after" in refused.headers
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "draining" in ready.json()["failing"]
    assert (
        client.get(
            f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("admin")
        ).status_code
        == 200
    )
    settings.drain_file.unlink()
    assert upload(client, tenant_a, wav_bytes(0.5)).status_code == 202


def test_an_upload_whose_transaction_rolls_back_leaves_no_audio_behind(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    from clinscribe.recordings import service

    store = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    with pytest.raises(RuntimeError), session_scope(settings.resolved_database_url) as session:
        recording, _job = service.upload(
            session=session,
            settings=settings,
            blobs=store,
            principal=tenant_a.principal("clinician"),
            encounter_id=tenant_a.encounter_id,
            data=io.BytesIO(wav_bytes(0.5)),
            filename="visit.wav",
            content_type="audio/wav",
            mode="dictation",
        )
        assert store.exists(recording.blob_key or "")
        raise RuntimeError("the database went away before the commit")
    assert not any(p.is_file() for p in settings.blob_dir.rglob("*"))
    assert count(settings, Recording) == 0
