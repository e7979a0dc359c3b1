"""Sealing edges that mutation testing found untested (docs/mutation.md): the key ring and
blob store on their own, without a database."""

from __future__ import annotations

import io
import os
from pathlib import Path

from clinscribe.security.keys import KeyRing
from clinscribe.storage.blobs import SEAL_CHUNK, LocalBlobStore


def ring(*kids: str) -> KeyRing:
    return KeyRing(keys={kid: os.urandom(32) for kid in kids}, primary=kids[0])


def test_a_legacy_plaintext_blob_is_resealed_under_the_primary_key(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, ring("k2", "k1"))
    payload = os.urandom(2 * SEAL_CHUNK + 5)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "legacy.wav").write_bytes(payload)  # written before encryption at rest
    assert store.key_id("t/legacy.wav") is None

    assert store.reseal("t/legacy.wav") is True
    assert store.key_id("t/legacy.wav") == "k2"
    assert payload[:64] not in (tmp_path / "t" / "legacy.wav").read_bytes()
    with store.open("t/legacy.wav") as reader:
        assert reader.read() == payload
    assert store.reseal("t/legacy.wav") is False  # already under the primary key


def test_a_blob_under_an_older_key_moves_to_the_primary(tmp_path: Path) -> None:
    old = ring("k1")
    LocalBlobStore(tmp_path, old).put("t/r", io.BytesIO(b"audio"), max_bytes=10)
    both = KeyRing(keys={"k2": os.urandom(32), **old.keys}, primary="k2")
    store = LocalBlobStore(tmp_path, both)
    assert store.key_id("t/r") == "k1"
    assert store.reseal("t/r") is True
    assert store.key_id("t/r") == "k2"
    with store.open("t/r") as reader:
        assert reader.read() == b"audio"
