"""TOTP (RFC 6238) codes, their enrolment QR code, and recovery codes: no state, no database.

A code is accepted for the current 30-second step and one step either side (clock drift);
`matching_step` says which step matched so the caller can refuse that step (and any earlier
one) next time: a code seen once is never accepted again.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Lower-case letters and digits without look-alikes (0/o, 1/l): read off paper and typed back.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    """A fresh base32 shared secret (160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data URI (an `<img src>` needs nothing else)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4))


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time-step `code` belongs to (within the drift window), or None when it matches none."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    found: int | None = None
    # Check every step of the window (no early exit) so timing does not tell which matched.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def new_recovery_codes() -> list[str]:
    """Ten single-use codes like `k7m2p-x9qra` (50 bits each)."""
    return [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]


def normalise_recovery_code(code: str) -> str:
    """What the user typed, compared the way it was issued (case and dashes do not matter)."""
    bare = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{bare[:5]}-{bare[5:]}" if len(bare) == 10 else bare
