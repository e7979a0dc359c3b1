"""The key ring bound to the ORM: sealed model fields and blind indexes (see `db.sealed`)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from clinscribe.config import Settings
from clinscribe.db import sealed
from clinscribe.db.session import get_engine
from clinscribe.security.keys import PREFIX, DecryptionError, KeyRing, index_key, key_ring

__all__ = [
    "PREFIX",
    "DecryptionError",
    "KeyRing",
    "ModelCipher",
    "index_key",
    "install",
    "key_ring",
    "model_cipher",
]


@dataclass(frozen=True)
class ModelCipher:
    """The key ring as the ORM's sealed fields use it (see `db.sealed`)."""

    ring: KeyRing
    index_key: bytes

    def seal(self, plaintext: str, aad: str) -> str:
        return self.ring.encrypt(plaintext.encode(), aad)

    def open(self, value: str, aad: str) -> str:
        return self.ring.decrypt(value, aad).decode()

    def is_current(self, value: str) -> bool:
        return self.ring.key_id_of(value) == self.ring.primary

    def blind(self, purpose: str, value: str) -> str:
        message = f"{purpose}|{value}".encode()
        return hmac.new(self.index_key, message, hashlib.sha256).hexdigest()


def model_cipher(settings: Settings) -> ModelCipher:
    return ModelCipher(ring=key_ring(settings), index_key=index_key(settings))


def install(settings: Settings) -> ModelCipher:
    """Register this configuration's cipher for its database (every entry point calls this)."""
    cipher = model_cipher(settings)
    url = settings.resolved_database_url
    sealed.register(get_engine(url), cipher)
    if settings.database_echo:
        sealed.register(get_engine(url, True), cipher)
    return cipher
