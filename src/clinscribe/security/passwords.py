"""Argon2id password hashing."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so timing does not reveal emails.
@lru_cache(maxsize=1)
def dummy_hash() -> str:
    return hash_password("not-a-real-password-0000")


@lru_cache(maxsize=1)
def _code_hasher() -> PasswordHasher:
    # The same argon2id at OWASP's minimum profile (19 MiB, 2 passes): one-time codes carry 50
    # random bits, so the password profile's cost (64 MiB, 3 passes) buys nothing against
    # guessing, and ten of them at once would make enrolment take seconds.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_one_time_code(code: str) -> str:
    """Hash a machine-generated single-use code (recovery codes); check with `verify_password`."""
    return _code_hasher().hash(code)
