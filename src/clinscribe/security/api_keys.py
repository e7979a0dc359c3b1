"""API keys: random secrets shown once, stored only as HMAC-SHA256 under a server-side pepper."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "csk_"


def generate_key() -> tuple[str, str]:
    """A new key and its public prefix (for display in listings)."""
    public = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{public}_{secrets.token_urlsafe(32)}"
    return key, f"{KEY_PREFIX}{public}"


def hash_key(pepper: bytes, key: str) -> str:
    return hmac.new(pepper, key.encode(), hashlib.sha256).hexdigest()


def looks_like_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX) and value.count("_") >= 2
