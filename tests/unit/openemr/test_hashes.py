"""OpenEMR password hashes: each kind OpenEMR has stored, wrong passwords, odd shapes."""

from __future__ import annotations

import hashlib

import bcrypt
import pytest

from clinscribe.openemr.core import hashes
from clinscribe.openemr.core.hashes import HashKind, kind_of, openemr_bcrypt, verify

# Hashes as OpenEMR wrote them (from PHP), with their plaintexts.
PHP_2Y = "$2y$10$58F27kGhmlgm.tyr0YZolOR/vA0p3ktkAEBqSPxlVaTUU8E4UDfuC"  # Physician-Pass-1
LEGACY_2A = "$2a$05$fN04ovuQan2/aipyY4M7r.DSScYzaXmLVy0jDy0X9.yHX4cmKj4nS"  # legacy-pass
SHA1_SALT = "$SHA1$WPd9Nce.XdL/ZuCl8Tf1E"
SALTED_SHA1 = "$SHA1$436ad5677e9b3c3fe0f8e342b36803e2c617d9fb"  # sha1-pass


def test_php_2y_bcrypt() -> None:
    assert kind_of(PHP_2Y) is HashKind.BCRYPT
    assert verify("Physician-Pass-1", PHP_2Y)
    assert not verify("physician-pass-1", PHP_2Y)
    assert not verify("Physician-Pass-1 ", PHP_2Y)


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_every_bcrypt_prefix(prefix: str) -> None:
    made = bcrypt.hashpw(b"s3cret-word", bcrypt.gensalt(rounds=4)).decode()
    stored = prefix + made[4:]
    assert verify("s3cret-word", stored)
    assert not verify("s3cret-wore", stored)


def test_legacy_bcrypt_with_21_char_salt() -> None:
    assert verify("legacy-pass", LEGACY_2A)
    assert not verify("legacy-pasS", LEGACY_2A)


def test_salted_sha1_needs_its_salt() -> None:
    assert kind_of(SALTED_SHA1) is HashKind.SALTED_SHA1
    assert verify("sha1-pass", SALTED_SHA1, salt=SHA1_SALT)
    assert not verify("sha1-pas", SALTED_SHA1, salt=SHA1_SALT)
    # OpenEMR 6+ has no salt column: such a row cannot be verified (OpenEMR refuses it too).
    assert not verify("sha1-pass", SALTED_SHA1)


def test_unsalted_md5_and_sha1_of_very_old_installs() -> None:
    md5 = hashlib.md5(b"md5-pass", usedforsecurity=False).hexdigest()
    sha1 = hashlib.sha1(b"md5-pass", usedforsecurity=False).hexdigest()
    assert (kind_of(md5), kind_of(sha1)) == (HashKind.MD5, HashKind.SHA1)
    assert verify("md5-pass", md5) and verify("md5-pass", sha1)
    assert not verify("md5-Pass", md5) and not verify("md5-Pass", sha1)
    assert not verify("md5-pass", md5.upper())  # PHP's md5() is lower-case hex


@pytest.mark.parametrize(
    "stored",
    [None, "", "NoLongerUsed", "$argon2id$v=19$m=65536,t=4,p=1$abc$def", "$2y$10$short", "*0"],
)
def test_unknown_or_unusable_hashes_never_match(stored: str | None) -> None:
    assert not verify("NoLongerUsed", stored)
    assert not verify("", stored)


def test_openemr_bcrypt_writes_the_prefix_php_accepts() -> None:
    made = openemr_bcrypt("Pa55-word", rounds=4)
    assert made.startswith("$2y$04$")
    assert verify("Pa55-word", made)


def test_long_passwords_are_cut_at_72_bytes_like_php() -> None:
    long = "x" * 80
    stored = openemr_bcrypt(long, rounds=4)
    assert verify("x" * 72 + "different", stored)


def test_dummy_check_does_the_work_of_a_real_check() -> None:
    hashes.dummy_check("anything")  # must not raise for any input
    hashes.dummy_check("y" * 500)
