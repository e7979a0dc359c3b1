"""The key ring refuses anything that is not its own sealed value with the one error."""

from __future__ import annotations

import base64

import pytest

from clinscribe.security.keys import DecryptionError, KeyRing

RING = KeyRing(keys={"k1": b"\x01" * 32, "k0": b"\x02" * 32}, primary="k1")


def test_a_value_round_trips_under_its_associated_data_only() -> None:
    sealed = RING.encrypt(b"lisinopril 10 mg", "notes:1:content")
    assert RING.decrypt(sealed, "notes:1:content") == b"lisinopril 10 mg"
    with pytest.raises(DecryptionError):
        RING.decrypt(sealed, "notes:2:content")


@pytest.mark.parametrize(
    "value",
    [
        "plain text",
        "enc1:k1",
        "enc1:k9:" + base64.b64encode(b"\x00" * 40).decode(),
        "enc1:k1:AAAA",  # torn: shorter than a nonce
        "enc1:k1:" + base64.b64encode(b"\x00" * 12).decode(),  # a nonce and no tag
        "enc1:k1:not base64!",
    ],
)
def test_torn_foreign_or_unknown_key_values_raise_the_decryption_error(value: str) -> None:
    with pytest.raises(DecryptionError):
        RING.decrypt(value, "notes:1:content")


def test_older_keys_still_decrypt_and_the_primary_encrypts() -> None:
    old = KeyRing(keys={"k0": b"\x02" * 32}, primary="k0").encrypt(b"x", "a")
    assert RING.decrypt(old, "a") == b"x"
    assert RING.key_id_of(RING.encrypt(b"x", "a")) == "k1"
