"""tus 1.0 resumable uploads, driven by the real tuspy client over HTTP."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx
from tusclient import client as tus_client

from clinscribe.config import Settings
from tests.live import free_port, live_server
from tests.support import TenantWorld, wav_bytes


def test_an_upload_interrupted_and_resumed_several_times_arrives_intact(
    settings: Settings, tenant_a: TenantWorld, tmp_path: Path
) -> None:
    source = tmp_path / "long.wav"
    source.write_bytes(wav_bytes(30.0))  # ~960 kB
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    size = source.stat().st_size
    metadata = {
        "encounter_id": tenant_a.encounter_id,
        "filename": "long.wav",
        "filetype": "audio/wav",
    }
    headers = tenant_a.auth("clinician")
    port = free_port()
    url = None
    # Each leg is a new client (and the middle one a restarted server) resuming from the
    # server's offset, as a clinic laptop would after the network drops.
    for leg, stop_at in enumerate((size // 4, size // 2, (3 * size) // 4, size)):
        with live_server(settings, port=port) as base:
            client = tus_client.TusClient(f"{base}/api/v1/uploads/", headers=headers)
            uploader = client.uploader(
                str(source),
                chunk_size=64 * 1024,
                metadata=metadata,
                url=url,
                store_url=False,
                retries=0,
            )
            if url is not None:
                assert uploader.offset >= stop_at - size // 4 - 64 * 1024, leg
            uploader.upload(stop_at=stop_at)
            url = uploader.url
    assert url is not None
    with live_server(settings, port=port) as base:
        recordings = httpx.get(
            f"{base}/api/v1/encounters/{tenant_a.encounter_id}/recordings", headers=headers
        ).json()
    assert len(recordings) == 1
    assert recordings[0]["source"] == "tus" and recordings[0]["sha256"] == digest
    assert recordings[0]["size_bytes"] == size


def test_resumable_uploads_refuse_bad_metadata_and_other_tenants(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    import base64

    def meta(**values: str) -> str:
        return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())

    tus = {"Tus-Resumable": "1.0.0", "Upload-Length": "100"}
    with live_server(settings) as base:
        endpoint = f"{base}/api/v1/uploads"
        missing = httpx.post(
            endpoint,
            headers={
                **tenant_a.auth("clinician"),
                **tus,
                "Upload-Metadata": meta(filename="a.wav"),
            },
        )
        assert missing.status_code == 422 and "encounter_id" in missing.json()["detail"]
        foreign = httpx.post(
            endpoint,
            headers={
                **tenant_b.auth("clinician"),
                **tus,
                "Upload-Metadata": meta(
                    encounter_id=tenant_a.encounter_id, filename="a.wav", filetype="audio/wav"
                ),
            },
        )
        assert foreign.status_code == 404
        created = httpx.post(
            endpoint,
            headers={
                **tenant_a.auth("clinician"),
                **tus,
                "Upload-Metadata": meta(
                    encounter_id=tenant_a.encounter_id, filename="a.wav", filetype="audio/wav"
                ),
            },
        )
        assert created.status_code == 201
        location = created.headers["location"]
        upload_url = location if location.startswith("http") else f"{base}{location}"
        other = httpx.head(upload_url, headers={**tenant_b.auth("admin"), "Tus-Resumable": "1.0.0"})
        assert other.status_code == 404
        anonymous = httpx.head(upload_url, headers={"Tus-Resumable": "1.0.0"})
        assert anonymous.status_code == 401
        noise = httpx.patch(
            upload_url,
            content=os.urandom(100),
            headers={
                **tenant_a.auth("clinician"),
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        # The last byte turns it into a recording; random bytes are refused as not audio.
        assert noise.status_code == 415, noise.text
        recordings = httpx.get(
            f"{base}/api/v1/encounters/{tenant_a.encounter_id}/recordings",
            headers=tenant_a.auth("clinician"),
        ).json()
        assert recordings == []


def _tus(world: TenantWorld, role: str = "clinician") -> dict[str, str]:
    return {**world.auth(role), "Tus-Resumable": "1.0.0"}


def _meta(**values: str) -> str:
    import base64

    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def test_a_partial_upload_waits_encrypted_and_damage_is_a_409(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    marker = b"CANARY-PARTIAL-UPLOAD-7f3a"
    name = "canary-filename-Quixotic-Ramsbottom.wav"
    body = wav_bytes(2.0)
    body = body[:44] + marker + body[44 + len(marker) :]  # inside the audio, as a tag would be
    half = len(body) // 2
    folder = settings.data_dir / "uploads"
    with live_server(settings) as base:
        created = httpx.post(
            f"{base}/api/v1/uploads",
            headers={
                **_tus(tenant_a),
                "Upload-Length": str(len(body)),
                "Upload-Metadata": _meta(
                    encounter_id=tenant_a.encounter_id, filename=name, filetype="audio/wav"
                ),
            },
        )
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        url = location if location.startswith("http") else f"{base}{location}"
        patch = {**_tus(tenant_a), "Content-Type": "application/offset+octet-stream"}
        first = httpx.patch(url, content=body[:half], headers={**patch, "Upload-Offset": "0"})
        assert first.status_code == 204 and first.headers["upload-offset"] == str(half)
        # Nothing of the audio or its file name is on disk in the clear while it waits.
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files
        for path in files:
            data = path.read_bytes()
            assert marker not in data and name.encode() not in data and b"RIFF" not in data
        head = httpx.head(url, headers=_tus(tenant_a))
        assert head.status_code == 200 and head.headers["upload-offset"] == str(half)

        # A sealed record altered on disk is caught when the upload completes.
        (sealed,) = [p for p in files if p.name.endswith(".sealed") and ".info" not in p.name]
        raw = bytearray(sealed.read_bytes())
        raw[40] ^= 0x01
        sealed.write_bytes(bytes(raw))
        last = httpx.patch(url, content=body[half:], headers={**patch, "Upload-Offset": str(half)})
        assert last.status_code == 409, last.text
        assert "damaged" in last.json()["detail"]
        assert last.json()["error"] == "upload_corrupt"  # the storage error's own code
        recordings = httpx.get(
            f"{base}/api/v1/encounters/{tenant_a.encounter_id}/recordings",
            headers=tenant_a.auth("clinician"),
        ).json()
        assert recordings == []
        assert not sealed.exists()


def test_abandoned_partial_uploads_expire_and_fresh_ones_stay(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    from clinscribe.security import crypto
    from clinscribe.storage.uploads import SealedUploads

    folder = settings.data_dir / "uploads"
    old_a, old_b, fresh = (
        folder / tenant_a.id / f"{'a' * 32}.sealed",
        folder / tenant_b.id / f"{'b' * 32}.sealed",
        folder / tenant_a.id / f"{'c' * 32}.sealed",
    )
    for path in (old_a, old_b, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        path.with_name(path.name.replace(".sealed", ".info.sealed")).write_bytes(b"x")
    week_ago = time.time() - 7 * 86400
    for path in (old_a, old_b):
        os.utime(path, (week_ago, week_ago))
        info = path.with_name(path.name.replace(".sealed", ".info.sealed"))
        os.utime(info, (week_ago, week_ago))
    storage = SealedUploads(folder, crypto.key_ring(settings))
    assert storage.expire(2 * 86400) == 2
    assert sorted(p.name for p in folder.rglob("*.sealed")) == [
        f"{'c' * 32}.info.sealed",
        f"{'c' * 32}.sealed",
    ]
