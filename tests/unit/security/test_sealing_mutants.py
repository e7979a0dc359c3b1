"""Sealing edges that mutation testing found untested (docs/mutation.md): the key ring and
blob store on their own, without a database."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from clinscribe.db import sealed as db_sealed
from clinscribe.db.session import get_engine
from clinscribe.errors import ConfigError
from clinscribe.security import crypto, keys
from clinscribe.security.keys import KeyRing
from clinscribe.security.records import FIXED as MAGIC
from clinscribe.storage.blobs import SEAL_CHUNK, BlobCorruptError, LocalBlobStore
from tests.conftest import make_settings


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


def test_a_blob_header_with_an_undecodable_key_id_is_corrupt_not_a_crash(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, ring("k1"))
    kid = b"\xff\xfe"
    (tmp_path / "bad").write_bytes(MAGIC + bytes([len(kid)]) + kid + os.urandom(8 + 64))
    assert store.key_id("bad") == "\ufffd\ufffd"
    with pytest.raises(BlobCorruptError):
        store.open("bad")


def test_only_values_in_the_sealed_format_name_a_key() -> None:
    k1 = ring("k1")
    sealed = k1.encrypt(b"x", "patients.mrn|t|r")
    assert k1.key_id_of(sealed) == "k1"
    assert k1.key_id_of("plain text from before encryption") is None
    assert k1.key_id_of("other:k1:payload") is None
    assert k1.key_id_of("enc1:k1") is None


def test_with_sql_echo_on_both_engines_of_the_database_get_the_cipher(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_echo=True)
    cipher = crypto.install(settings)
    url = settings.resolved_database_url
    for echo in (False, True):
        with Session(get_engine(url, echo)) as session:
            assert db_sealed.cipher_of_session(session) is cipher


def test_a_configured_key_must_be_strict_base64_of_32_bytes(tmp_path: Path) -> None:
    good = base64.b64encode(os.urandom(32)).decode()
    assert keys.key_ring(make_settings(tmp_path, encryption_keys=[f"k1:{good}"])).primary == "k1"
    for entry in (f"k1:{good}!", f"k1:{good[:-4]}", f":{good}"):
        with pytest.raises(ConfigError):
            keys.key_ring(make_settings(tmp_path, encryption_keys=[entry]))


# Existing databases depend on these derivations: a change would make stored values unreadable
# and blind-index searches miss, so they are pinned to known answers.
def test_the_dev_field_key_derives_from_the_data_dirs_secret(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "field-key").write_text("known-dev-secret")
    ring = keys.key_ring(make_settings(tmp_path))
    assert ring.primary == "dev"
    assert ring.keys["dev"] == hashlib.sha256(b"clinscribe-dev-key:known-dev-secret").digest()


def test_the_blind_index_key_derives_from_its_secret(tmp_path: Path) -> None:
    configured = make_settings(tmp_path, blind_index_key="index-secret")
    expected = hashlib.sha256(b"clinscribe-blind-index:index-secret").digest()
    assert keys.index_key(configured) == expected
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "index-key").write_text("dev-index-secret")
    dev = hashlib.sha256(b"clinscribe-blind-index:dev-index-secret").digest()
    assert keys.index_key(make_settings(tmp_path)) == dev
