"""The evidence-pack signing key: Ed25519, tenant-independent, from settings or the data dir."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clinscribe.compliance.results import EvidenceError
from clinscribe.config import Settings

KEY_FILE = "evidence-signing-key.pem"


def _from_pem(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise EvidenceError(f"{where} is not a PEM private key without a passphrase") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError(f"{where} is not an Ed25519 key")
    return key


def _generate(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL and 0600 from the start: the key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def private_key(settings: Settings) -> tuple[Ed25519PrivateKey, bool]:
    """The configured key, else the data dir's (generated on first use); and whether new."""
    if settings.evidence_signing_key is not None:
        pem = settings.evidence_signing_key.get_secret_value().encode()
        return _from_pem(pem, "CLINSCRIBE_EVIDENCE_SIGNING_KEY"), False
    if settings.evidence_signing_key_file is not None:
        path = settings.evidence_signing_key_file
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise EvidenceError(f"cannot read the signing key file: {exc.strerror}") from None
        return _from_pem(pem, "CLINSCRIBE_EVIDENCE_SIGNING_KEY_FILE"), False
    path = settings.data_dir / "secrets" / KEY_FILE
    if path.is_file():
        return _from_pem(path.read_bytes(), str(path)), False
    return _generate(path), True


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(key)).decode()


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PublicKey) -> str:
    return "sha256:" + hashlib.sha256(raw_public(key)).hexdigest()[:32]


def parse_public(text: str) -> Ed25519PublicKey:
    """A public key given as base64 of its 32 raw bytes, as PEM text, or as a PEM file path."""
    value = text.strip()
    if not value.startswith("-----") and Path(value).is_file():
        value = Path(value).read_text().strip()
    if value.startswith("-----"):
        try:
            key = serialization.load_pem_public_key(value.encode())
        except ValueError:
            raise EvidenceError("the public key is not valid PEM") from None
        if not isinstance(key, Ed25519PublicKey):
            raise EvidenceError("the public key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(value, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise EvidenceError(
            "the public key must be base64 of 32 bytes, PEM, or a PEM file"
        ) from None


def verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
