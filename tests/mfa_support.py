"""Second-factor helpers for tests: enrol through the API and compute codes with pyotp."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from tests.support import PASSWORD

MFA = "/api/v1/auth/mfa"


def code(secret: str, steps: int = 0) -> str:
    """The code `steps` time-steps from now (-1, 0, +1 are inside the accepted window).

    Use them in increasing order: each accepted step refuses every step up to it.
    """
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


@dataclass
class Enrolled:
    secret: str
    recovery_codes: list[str]
    session: dict[str, Any]

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session['access_token']}"}


def enrol(client: TestClient, headers: dict[str, str]) -> Enrolled:
    """Enrol and confirm with the previous step's code (leaving steps 0 and +1 for the test)."""
    started = client.post(f"{MFA}/enrol", headers=headers)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = client.post(f"{MFA}/confirm", headers=headers, json={"code": code(secret, -1)})
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    return Enrolled(secret, body["recovery_codes"], body["session"])


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
