"""The effective settings with every secret left out, for the evidence pack."""

from __future__ import annotations

import re
from typing import Any

from pydantic import SecretStr

from clinscribe.config import Settings

REDACTED = "<redacted>"
# user:password@ in any URL-valued setting (database, broker, Redis).
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^@/\s]*@", re.IGNORECASE)


def _clean(name: str, value: Any) -> Any:
    if isinstance(value, SecretStr):
        if name == "encryption_keys":
            # Key ids are evidence (which keys exist); the key material is not.
            return value.get_secret_value().partition(":")[0] + ":" + REDACTED
        return REDACTED
    if isinstance(value, list):
        return [_clean(name, v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(name, v) for k, v in value.items()}
    if isinstance(value, str):
        return URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED + "@", value)
    return value


def effective_settings(settings: Settings) -> dict[str, Any]:
    """Every setting by its environment variable name; secrets shown only as set or not."""
    out: dict[str, Any] = {}
    for name in sorted(type(settings).model_fields):
        value = getattr(settings, name)
        cleaned = _clean(name, value)
        if hasattr(cleaned, "isoformat"):
            cleaned = cleaned.isoformat()
        elif not isinstance(cleaned, str | int | float | bool | list | dict | type(None)):
            cleaned = str(cleaned)
        out[f"CLINSCRIBE_{name.upper()}"] = cleaned
    return out
