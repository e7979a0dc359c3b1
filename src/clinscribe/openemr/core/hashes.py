"""Checking a password against what OpenEMR stores, the way OpenEMR's `AuthHash` does.

Every comparison is constant-time; nothing here logs or keeps the plaintext. Which hash kinds are
recognised:

- bcrypt `$2y$` / `$2a$` / `$2b$` (`password_hash(PASSWORD_DEFAULT)`; Python's bcrypt reads all).
- legacy bcrypt of OpenEMR 4.1.2-5.0: `'$2a$05$' + 21-char salt + '.' + 31-char hash`, made by
  `crypt(plain, '$2a$05$' + salt + '$')`; `AuthHash` retries with the first 28 chars + `$`. The
  retry only fails on current PHP by accident (its blowfish no longer stops the salt at `$`), so
  we accept what OpenEMR meant to accept.
- salted SHA1 `'$SHA1$' + sha1(salt + plain)`: verifiable only when the salt is known. OpenEMR 6
  dropped `users_secure.salt`, so on a 7.x database such a row cannot be verified (nor can it in
  OpenEMR itself); the caller passes `salt=None` and gets `False`.
- before 4.1.2: `users.password` held unsalted `md5(plain)` (32 hex) or `sha1(plain)` (40 hex).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from enum import StrEnum

import bcrypt

_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_SHA1_PREFIX = "$SHA1$"


class HashKind(StrEnum):
    BCRYPT = "bcrypt"
    SALTED_SHA1 = "salted_sha1"
    MD5 = "md5"
    SHA1 = "sha1"
    UNKNOWN = "unknown"


def kind_of(stored: str | None) -> HashKind:
    """What kind of hash `stored` is (by shape only)."""
    if not stored:
        return HashKind.UNKNOWN
    if _BCRYPT.match(stored):
        return HashKind.BCRYPT
    if stored.startswith(_SHA1_PREFIX) and _HEX40.match(stored[len(_SHA1_PREFIX) :]):
        return HashKind.SALTED_SHA1
    if _HEX32.match(stored):
        return HashKind.MD5
    if _HEX40.match(stored):
        return HashKind.SHA1
    return HashKind.UNKNOWN


def _bcrypt_ok(plain: bytes, stored: str) -> bool:
    hashed = stored.encode()
    try:
        if bcrypt.checkpw(plain, hashed):
            return True
        # OpenEMR 4.1.2's salt had 21 chars + '$': crypt() stopped at '$' and padded the salt.
        if stored.startswith("$2a$05$"):
            again = bcrypt.hashpw(plain, hashed[:27] + b"..")
            return hmac.compare_digest(again[29:], hashed[29:])
    except ValueError:
        return False
    return False


@functools.cache
def _dummy_hash() -> bytes:
    # A throwaway hash at OpenEMR's default cost: unknown users cost the same as known ones.
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds=10))


def dummy_check(plain: str) -> None:
    """Spend the work of one bcrypt check, for callers with no user to check against."""
    bcrypt.checkpw(plain.encode()[:72], _dummy_hash())


def verify(plain: str, stored: str | None, *, salt: str | None = None) -> bool:
    """Whether `plain` matches the stored OpenEMR hash. Unknown shapes never match."""
    kind = kind_of(stored)
    if stored is None or kind is HashKind.UNKNOWN:
        dummy_check(plain)
        return False
    raw = plain.encode()
    if kind is HashKind.BCRYPT:
        # bcrypt reads at most 72 bytes, as PHP's crypt() does; python-bcrypt 5 refuses longer.
        return _bcrypt_ok(raw[:72], stored)
    if kind is HashKind.SALTED_SHA1:
        if not salt:
            dummy_check(plain)
            return False
        digest = _SHA1_PREFIX + hashlib.sha1(salt.encode() + raw, usedforsecurity=False).hexdigest()
        return hmac.compare_digest(digest.encode(), stored.encode())
    algorithm = "md5" if kind is HashKind.MD5 else "sha1"
    digest = hashlib.new(algorithm, raw, usedforsecurity=False).hexdigest()
    return hmac.compare_digest(digest.encode(), stored.encode())


def openemr_bcrypt(plain: str, *, rounds: int = 10) -> str:
    """A hash OpenEMR 7 accepts: bcrypt with the `$2y$` prefix PHP recognises (tests, seeding)."""
    hashed = bcrypt.hashpw(plain.encode()[:72], bcrypt.gensalt(rounds=rounds)).decode()
    return "$2y$" + hashed[4:]
