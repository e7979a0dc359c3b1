"""AES-256-GCM with a key ring. Each value names its key, and associated data binds it to where
it is stored, so a ciphertext moved to another row or column does not decrypt.

Pure: no database. The ORM binding of the ring lives in `security.crypto`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinscribe.config import Settings
from clinscribe.errors import ClinscribeError, ConfigError

PREFIX = "enc1"


class DecryptionError(ClinscribeError):
    """The value was tampered with, moved to another row, or its key is not configured."""

    # Stored data that no longer opens is the server's fault, never the caller's.
    status_code = 500
    code = "decryption_failed"


@dataclass(frozen=True)
class KeyRing:
    """The first key encrypts; every key decrypts (so rotation can re-encrypt in batches)."""

    keys: dict[str, bytes]
    primary: str

    def encrypt(self, plaintext: bytes, aad: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.primary]).encrypt(nonce, plaintext, aad.encode())
        return f"{PREFIX}:{self.primary}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, value: str, aad: str) -> bytes:
        try:
            prefix, kid, payload = value.split(":", 2)
            raw = base64.b64decode(payload)
        except ValueError as exc:
            raise DecryptionError("not an encrypted value") from exc
        if prefix != PREFIX or kid not in self.keys:
            raise DecryptionError(f"unknown key id {kid!r}")
        try:
            return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], aad.encode())
        except (InvalidTag, ValueError) as exc:  # ValueError: a payload too short for a nonce
            raise DecryptionError("ciphertext does not belong here or was altered") from exc

    def key_id_of(self, value: str) -> str | None:
        parts = value.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def _parse(entry: str) -> tuple[str, bytes]:
    kid, _, encoded = entry.partition(":")
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ConfigError(f"encryption key {kid!r} is not valid base64") from exc
    if not kid or len(key) != 32:
        raise ConfigError(f"encryption key {kid!r} must be 'kid:<base64 of 32 bytes>'")
    return kid, key


@lru_cache(maxsize=8)
def _ring(entries: tuple[str, ...]) -> KeyRing:
    pairs = [_parse(e) for e in entries]
    return KeyRing(keys=dict(pairs), primary=pairs[0][0])


def key_ring(settings: Settings) -> KeyRing:
    """The configured ring; in dev without keys, one derived from the data dir's dev secret."""
    entries = tuple(k.get_secret_value() for k in settings.encryption_keys)
    if not entries:
        derived = hashlib.sha256(
            ("clinscribe-dev-key:" + settings.dev_secret("field-key")).encode()
        )
        entries = ("dev:" + base64.b64encode(derived.digest()).decode(),)
    return _ring(entries)


def index_key(settings: Settings) -> bytes:
    secret = (
        settings.blind_index_key.get_secret_value()
        if settings.blind_index_key
        else settings.dev_secret("index-key")
    )
    return hashlib.sha256(("clinscribe-blind-index:" + secret).encode()).digest()
