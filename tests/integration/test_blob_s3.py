"""Blobs in a real S3-compatible server: the store, two API nodes sharing it, outages, migration."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import SecretStr

from clinscribe.api.app import create_app
from clinscribe.asr.core.schemas import Segment
from clinscribe.cli import cli, main
from clinscribe.config import Settings, get_settings
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.storage.s3 import BlobBucketMissing, BlobCredentialsRejected, S3BlobStore
from clinscribe.storage.select import blob_store, s3_store
from clinscribe.streaming import spools
from clinscribe.streaming.spools import spool_opener
from tests import s3server
from tests.conftest import make_settings
from tests.support import build_tenant, wav_bytes

KEYS = [f"k1:{base64.b64encode(os.urandom(32)).decode()}"]


@pytest.fixture(scope="module")
def bucket() -> str:
    return s3server.new_bucket()


def s3_settings(data_dir: Path, bucket: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "encryption_keys": KEYS,  # every node of a cluster shares the keys
        "blob_url": f"s3://{bucket}/clinscribe",
        "s3_endpoint_url": s3server.ENDPOINT,
        "s3_access_key": s3server.ACCESS_KEY,
        "s3_secret_key": s3server.SECRET_KEY,
        "s3_part_mb": 5,
    }
    values.update(overrides)
    return make_settings(data_dir, **values)


def store_of(settings: Settings) -> S3BlobStore:
    store = blob_store(settings, crypto.key_ring(settings))
    assert isinstance(store, S3BlobStore)
    return store


def test_put_get_ranges_multipart_and_delete(tmp_path: Path, bucket: str) -> None:
    store = store_of(s3_settings(tmp_path, bucket))
    data = os.urandom(11 * 1024 * 1024 + 77)  # three 5 MiB parts of ciphertext
    calls: list[str] = []
    store.client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    assert store.put("t1/e1/big", io.BytesIO(data), max_bytes=len(data)) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert calls == ["CreateMultipartUpload"] + ["UploadPart"] * 3 + ["CompleteMultipartUpload"]
    with store.open("t1/e1/big") as reader:
        for offset in (0, 65_535, 5 * 1024 * 1024 - 3, len(data) - 10):
            reader.seek(offset)
            assert reader.read(1000) == data[offset : offset + 1000]
        reader.seek(0)
        assert reader.read() == data
    assert store.exists("t1/e1/big") and not store.exists("t1/e1/other")
    assert list(store.keys()) == ["t1/e1/big"]
    store.delete("t1/e1/big")
    assert not store.exists("t1/e1/big")
    with pytest.raises(FileNotFoundError):
        store.open("t1/e1/big")
    with pytest.raises(ValueError):
        store.put("../escape", io.BytesIO(b"x"), max_bytes=10)


def test_a_whole_read_is_one_get_and_a_playback_read_starts_small(
    tmp_path: Path, bucket: str
) -> None:
    store = store_of(s3_settings(tmp_path, bucket))
    data = os.urandom(460_000)  # a dictation of about 14 s as 16-bit WAV: eight records
    store.put("t1/e1/dictation", io.BytesIO(data), max_bytes=len(data))
    calls: list[str] = []
    store.client.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    with store.open("t1/e1/dictation", whole=True) as reader:
        assert reader.read() == data
    assert calls == ["GetObject"]
    calls.clear()
    # Playback may seek anywhere: its first GET is one record, then blocks double.
    with store.open("t1/e1/dictation") as reader:
        assert reader.read(100) == data[:100]
        assert calls == ["GetObject"]
        assert reader.read() == data[100:]
    assert calls == ["GetObject"] * 4


def test_an_upload_is_probed_on_the_node_and_refused_audio_never_reaches_the_store(
    tmp_path: Path, bucket: str, pg_migrated: str
) -> None:
    settings = s3_settings(tmp_path, bucket, database_url=pg_migrated)
    world = build_tenant(settings)
    data = wav_bytes(1.0)
    with TestClient(create_app(settings, start_worker=False)) as client:
        store = client.app.state.blobs  # type: ignore[attr-defined]
        calls: list[str] = []

        def seen(model: object, **_: object) -> None:
            name = str(getattr(model, "name", ""))
            if not name.startswith("List"):  # the app's sweeps list their areas on the side
                calls.append(name)

        store.client.meta.events.register("before-call.s3", seen)
        url = f"/api/v1/encounters/{world.encounter_id}/recordings"
        sent = client.post(
            url, headers=world.auth("clinician"), files={"file": ("v.wav", data, "audio/wav")}
        )
        assert sent.status_code == 202, sent.text
        assert sent.json()["recording"]["duration_s"] == pytest.approx(1.0, abs=0.01)
        assert calls == ["PutObject"]  # stored once, not read back
        calls.clear()
        refused = client.post(
            url,
            headers=world.auth("clinician"),
            files={"file": ("v.wav", data[:30], "audio/wav")},
        )
        assert refused.status_code == 422 and refused.json()["error"] == "audio_corrupt"
        assert calls == []
    names = store.keys()  # the blobs' keys (the store is no mapping)
    stored = [k for k in names if k.startswith(world.id)]
    assert stored == [f"{world.id}/{world.encounter_id}/{sent.json()['recording']['id']}"]


def test_the_store_only_ever_holds_ciphertext(tmp_path: Path, bucket: str) -> None:
    store = store_of(s3_settings(tmp_path, bucket))
    secret = b"Patient Jane Canary reports chest pain. " * 100
    store.put("t1/e1/note", io.BytesIO(secret), max_bytes=10_000)
    raw = s3server.client().get_object(Bucket=bucket, Key="clinscribe/t1/e1/note")["Body"].read()
    assert raw.startswith(b"CSBLOB1") and b"Canary" not in raw
    with store.open("t1/e1/note") as reader:
        assert reader.read() == secret


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def test_node_b_plays_back_node_a_recordings_and_finishes_its_resumable_uploads(
    tmp_path: Path, bucket: str, pg_migrated: str
) -> None:
    """Two API nodes: the same database and store, each its own data dir."""
    node_a = s3_settings(tmp_path / "a", bucket, database_url=pg_migrated)
    node_b = node_a.model_copy(update={"data_dir": tmp_path / "b"})
    world = build_tenant(node_a)
    data, long = wav_bytes(1.0), wav_bytes(3.0)
    half = len(long) // 2
    tus = {**world.auth("clinician"), "Tus-Resumable": "1.0.0"}
    patch = {**tus, "Content-Type": "application/offset+octet-stream"}
    with TestClient(create_app(node_a, start_worker=False)) as a:
        sent = a.post(
            f"/api/v1/encounters/{world.encounter_id}/recordings",
            headers=world.auth("clinician"),
            files={"file": ("visit.wav", data, "application/octet-stream")},
        )
        assert sent.status_code in (201, 202), sent.text
        created = a.post(
            "/api/v1/uploads",
            headers={
                **tus,
                "Upload-Length": str(len(long)),
                "Upload-Metadata": _meta(
                    encounter_id=world.encounter_id, filename="v.wav", filetype="audio/wav"
                ),
            },
        )
        assert created.status_code == 201, created.text
        url = "/api/v1/uploads/" + created.headers["location"].rstrip("/").rsplit("/", 1)[1]
        first = a.patch(url, headers={**patch, "Upload-Offset": "0"}, content=long[:half])
        assert first.status_code == 204 and first.headers["upload-offset"] == str(half)
    recording = sent.json()["recording"]["id"]
    # Nothing of either is on node A's disk: the blob and the partial upload are in the store.
    assert not [p for p in (tmp_path / "a").rglob("*") if p.is_file() and "blobs" in p.parts]
    assert not list((tmp_path / "a").rglob("*.sealed"))
    with TestClient(create_app(node_b, start_worker=False)) as b:
        audio = f"/api/v1/recordings/{recording}/audio"
        whole = b.get(audio, headers=world.auth("reviewer"))
        assert whole.status_code == 200 and whole.content == data
        part = b.get(audio, headers={**world.auth("reviewer"), "Range": "bytes=100-4099"})
        assert part.status_code == 206 and part.content == data[100:4100]
        offset = b.head(url, headers=tus)
        assert offset.status_code == 200 and offset.headers["upload-offset"] == str(half)
        rest = b.patch(url, headers={**patch, "Upload-Offset": str(half)}, content=long[half:])
        assert rest.status_code == 204, rest.text
        listed = b.get(
            f"/api/v1/encounters/{world.encounter_id}/recordings", headers=world.auth("clinician")
        ).json()
    assert sorted(r["sha256"] for r in listed) == sorted(
        hashlib.sha256(x).hexdigest() for x in (data, long)
    )
    uploads = store_of(node_b).area("uploads")
    assert list(uploads.listing()) == []  # adopted as a recording: the parts are gone


def test_reads_succeed_after_the_server_restarts(tmp_path: Path) -> None:
    server = s3server.PrivateServer(tmp_path / "s3")
    server.start()
    try:
        name = s3server.new_bucket(server.endpoint)
        settings = s3_settings(
            tmp_path / "data", name, s3_endpoint_url=server.endpoint, s3_max_attempts=10
        )
        store = store_of(settings)
        data = os.urandom(300_000)
        store.put("t/e/r", io.BytesIO(data), max_bytes=len(data))
        server.stop()
        # The store is down for a moment; botocore's retries carry the read over the gap.
        restart = threading.Timer(1.0, server.start)
        restart.start()
        started = time.monotonic()
        with store.open("t/e/r") as reader:
            assert reader.read() == data
        restart.join()
        assert time.monotonic() - started >= 0.9
        store.put("t/e/r2", io.BytesIO(data), max_bytes=len(data))  # writes work again too
        assert store.exists("t/e/r2")
    finally:
        server.stop()


def test_wrong_credentials_and_missing_bucket_are_clear_503s(
    tmp_path: Path, bucket: str, pg_migrated: str
) -> None:
    wrong = s3_settings(
        tmp_path / "w", bucket, database_url=pg_migrated, s3_access_key=SecretStr("NOBODY")
    )
    world = build_tenant(wrong)
    with pytest.raises(BlobCredentialsRejected):
        store_of(wrong).check()
    with TestClient(create_app(wrong, start_worker=False)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["failing"] == ["blob_store"]
        assert ready.json()["checks"]["blob_store"] == "failed: BlobCredentialsRejected"
        sent = client.post(
            f"/api/v1/encounters/{world.encounter_id}/recordings",
            headers=world.auth("clinician"),
            files={"file": ("visit.wav", wav_bytes(0.2), "application/octet-stream")},
        )
        assert sent.status_code == 503 and sent.json()["error"] == "blob_credentials_rejected"
    missing = wrong.model_copy(
        update={"blob_url": "s3://no-such-bucket/x", "s3_access_key": SecretStr("S3RVER")}
    )
    with pytest.raises(BlobBucketMissing, match="no-such-bucket"):
        store_of(missing).check()
    with pytest.raises(BlobBucketMissing):
        store_of(missing).put("t/e/r", io.BytesIO(b"audio"), max_bytes=10)


@pytest.fixture
def fresh_cli_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_migrate_blobs_copies_verifies_and_resumes(
    tmp_path: Path,
    bucket: str,
    fresh_cli_settings: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(tmp_path, encryption_keys=KEYS)
    local = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    blobs = {f"t1/e{i}/r{i}": os.urandom(1000 + 70_000 * i) for i in range(4)}
    for key, data in blobs.items():
        local.put(key, io.BytesIO(data), max_bytes=len(data))
    target = f"s3://{bucket}/migrated"
    env = {
        "CLINSCRIBE_DATA_DIR": str(tmp_path),
        "CLINSCRIBE_ENCRYPTION_KEYS": json.dumps(KEYS),
        "CLINSCRIBE_S3_ENDPOINT_URL": s3server.ENDPOINT,
        "CLINSCRIBE_S3_ACCESS_KEY": s3server.ACCESS_KEY,
    }
    (tmp_path / "s3-secret").write_text(s3server.SECRET_KEY + "\n")
    env["CLINSCRIBE_S3_SECRET_KEY_FILE"] = str(tmp_path / "s3-secret")  # the *_FILE form
    run = CliRunner().invoke

    dry = run(cli, ["admin", "migrate-blobs", "--to", target, "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) | {"unsealed": [], "failed": []} == json.loads(dry.stdout)
    assert json.loads(dry.stdout)["to_copy"] == 4 and json.loads(dry.stdout)["copied"] == 0
    moved = s3_store(settings.model_copy(update=_s3(env)), target, crypto.key_ring(settings))
    assert list(moved.keys()) == []

    first = run(cli, ["admin", "migrate-blobs", "--to", target, "--sample", "2", "--json"], env=env)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["copied"], summary["decrypt_checked"], summary["failed"]) == (4, 2, [])
    for key, data in blobs.items():
        raw = moved.raw_digest(key)
        assert raw is not None and raw[0] == raw[2]  # the recorded digest is the stored one
        with moved.open(key) as reader:
            assert reader.read() == data

    # A rerun (an interrupted run resumed) copies only what is missing.
    moved.delete("t1/e2/r2")
    again = run(cli, ["admin", "migrate-blobs", "--to", target, "--json"], env=env)
    assert again.exit_code == 0, again.output
    assert (json.loads(again.stdout)["copied"], json.loads(again.stdout)["already_there"]) == (1, 3)
    rerun = run(cli, ["admin", "migrate-blobs", "--to", target], env=env)
    assert "copied 0, 4 already there" in rerun.output

    # Bad input: one line on stderr and a non-zero exit, nothing copied.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert main(["admin", "migrate-blobs", "--to", "elsewhere/blobs"]) != 0
    assert "--to must be an s3://bucket/prefix URL" in capsys.readouterr().err
    assert main(["admin", "migrate-blobs", "--to", "s3://no-such-bucket/x"]) != 0
    err = capsys.readouterr().err
    assert "does not exist" in err and len(err.strip().splitlines()) == 1


def _s3(env: dict[str, str]) -> dict[str, object]:
    return {
        "s3_endpoint_url": env["CLINSCRIBE_S3_ENDPOINT_URL"],
        "s3_access_key": SecretStr(s3server.ACCESS_KEY),
        "s3_secret_key": SecretStr(s3server.SECRET_KEY),
    }


def test_a_live_spool_written_on_node_a_is_taken_over_on_node_b(
    tmp_path: Path, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every frame is due for a timed flush: parts are stored from the flusher thread while
    # frames keep arriving and finals force flushes of their own.
    monkeypatch.setattr(spools, "FLUSH_SECONDS", 0.0)
    node_a = s3_settings(tmp_path / "a", bucket)
    node_b = node_a.model_copy(update={"data_dir": tmp_path / "b"})
    ring = crypto.key_ring(node_a)
    spool = spool_opener(node_a.data_dir, ring, store_of(node_a))("streams/s1", True)
    tone = (np.sin(np.arange(16_000) / 7) * 0.5).astype(np.float32)
    area = store_of(node_a).area("spools")
    for second in range(3):
        for frame in np.split(tone, 10):  # 100 ms frames, as a microphone sends them
            spool.write(frame)
        if second == 0:  # the flusher thread stores parts on its own, nobody waiting on it
            deadline = time.monotonic() + 20
            while not list(area.listing("streams/s1/audio/")):
                assert time.monotonic() < deadline, "no timed flush"
                time.sleep(0.05)
        if second == 1:
            spool.log_finals(32_000, [Segment(id=0, start=0.0, end=2.0, text="first two")])
    spool.close()  # the connection dropped: what was pending is stored
    assert len(list(area.listing("streams/s1/audio/"))) >= 3  # timed, before finals, at close
    assert not list((tmp_path / "a").rglob("*.sealed"))  # nothing on node A's disk
    raw = [
        s3server.client().get_object(Bucket=bucket, Key=f"clinscribe/_spools/{i.name}")
        for i in store_of(node_a).area("spools").listing("streams/s1/audio/")
    ]
    assert raw and all(not r["Body"].read().startswith(b"RIFF") for r in raw)

    taken = spool_opener(node_b.data_dir, ring, store_of(node_b))("streams/s1", False)
    assert taken.samples == 48_000
    segments, origin = taken.load_finals()
    assert [s.text for s in segments] == ["first two"] and origin == 32_000
    assert np.allclose(taken.read(origin), np.tile(tone, 1), atol=1e-4)
    taken.write(tone[:1600])
    wav = taken.finish().read()
    assert wav.startswith(b"RIFF") and len(wav) == 44 + 2 * (48_000 + 1600)
    taken.discard()
    assert list(store_of(node_b).area("spools").listing("streams/s1/")) == []
    with pytest.raises(FileNotFoundError):
        spool_opener(node_b.data_dir, ring, store_of(node_b))("streams/s1", False)


def test_key_rotation_reseals_s3_blobs_and_skips_the_other_areas(
    tmp_path: Path, bucket: str
) -> None:
    old = s3_settings(tmp_path, bucket, blob_url=f"s3://{bucket}/rotation")
    data = os.urandom(200_000)
    store_of(old).put("t/e/r", io.BytesIO(data), max_bytes=len(data))
    store_of(old).area("uploads").put("t/u/info", b"sealed elsewhere")
    new_key = f"k2:{base64.b64encode(os.urandom(32)).decode()}"
    rotated = old.model_copy(update={"encryption_keys": [SecretStr(new_key), *old.encryption_keys]})
    store = store_of(rotated)
    assert list(store.keys()) == ["t/e/r"]  # the uploads area is not a blob
    assert store.key_id("t/e/r") == "k1"
    assert store.reseal("t/e/r") and not store.reseal("t/e/r")
    assert store.key_id("t/e/r") == "k2"
    with store.open("t/e/r") as reader:
        assert reader.read() == data
