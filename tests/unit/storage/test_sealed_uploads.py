"""The sealed tus storage directly: records appended per PATCH, torn tails, damage, old files."""

from __future__ import annotations

import asyncio
import json
import os
import struct
from pathlib import Path

import pytest

from clinscribe.security.keys import KeyRing
from clinscribe.storage.uploads import SealedUploads, UploadCorruptError, for_tenant

K1 = os.urandom(32)
RING = KeyRing(keys={"k1": K1}, primary="k1")
UID = "ab" * 16


def test_patches_append_records_and_a_torn_one_is_cut_off(tmp_path: Path) -> None:
    storage = SealedUploads(tmp_path, RING)
    body = os.urandom(3000)

    async def run() -> None:
        for_tenant("t1")
        await storage.create(UID)
        assert await storage.size(UID) == 0
        await storage.append(UID, body[:1000])
        await storage.flush(UID)
        path = tmp_path / "t1" / f"{UID}.sealed"
        whole = path.read_bytes()
        with path.open("ab") as out:
            out.write(whole[-60:])  # a PATCH torn by a crash: never acknowledged
        assert await storage.size(UID) == 1000
        await storage.append(UID, body[1000:])
        await storage.flush(UID)
        assert await storage.size(UID) == 3000
        assert await storage.read(UID) == body
        with storage.reader(UID) as reader:
            assert reader.read() == body
        assert body[:64] not in path.read_bytes()

        await storage.write_info(UID, {"metadata": {"filename": "visit.wav"}})
        assert await storage.read_info(UID) == {"metadata": {"filename": "visit.wav"}}
        assert b"visit.wav" not in (tmp_path / "t1" / f"{UID}.info.sealed").read_bytes()
        for_tenant("t2")  # another tenant's upload id is not found there
        assert not await storage.exists(UID) and await storage.read_info(UID) is None

    asyncio.run(run())


def test_damage_or_a_missing_key_is_the_uploads_own_error(tmp_path: Path) -> None:
    storage = SealedUploads(tmp_path, RING)
    rotated_away = SealedUploads(tmp_path, KeyRing(keys={"k2": os.urandom(32)}, primary="k2"))

    async def run() -> None:
        for_tenant("t1")
        await storage.create(UID)
        await storage.append(UID, b"x" * 500)
        await storage.flush(UID)
        assert await rotated_away.size(UID) == 500  # counted from lengths, not decrypted
        with pytest.raises(UploadCorruptError), rotated_away.reader(UID) as reader:
            reader.read()
        path = tmp_path / "t1" / f"{UID}.sealed"
        raw = bytearray(path.read_bytes())
        raw[40] ^= 1
        path.write_bytes(bytes(raw))
        with pytest.raises(UploadCorruptError), storage.reader(UID) as reader:
            reader.read()

    asyncio.run(run())


def test_a_partial_upload_of_the_previous_layout_is_not_resumable(tmp_path: Path) -> None:
    # Before sealed record files: `enc1:` values behind two lengths, and a sealed text sidecar.
    storage = SealedUploads(tmp_path, RING)
    folder = tmp_path / "t1"
    folder.mkdir()
    sealed = RING.encrypt(b"audio", f"upload|t1|{UID}|data|0").encode("ascii")
    (folder / f"{UID}.sealed").write_bytes(struct.pack(">II", len(sealed), 5) + sealed)
    info = RING.encrypt(json.dumps({"size": 10}).encode(), f"upload|t1|{UID}|info")
    (folder / f"{UID}.info.sealed").write_text(info, "ascii")

    async def run() -> None:
        for_tenant("t1")
        # No metadata is what tus answers 404 to: the client starts the upload again.
        assert await storage.read_info(UID) is None
        assert await storage.size(UID) == 0
        assert await storage.list_uids() == [UID]

    asyncio.run(run())
