"""Messages of the live streaming contract and the close codes that end a session."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clinscribe.errors import ClinscribeError

Encoding = Literal["pcm_s16le", "webm_opus"]
PCM_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
# Close codes the web client treats as final (anything else it reconnects after). An error of
# the tree closes with 4000 + its status when that is one of these, else 4400 or 4500.
FINAL_CLOSE_CODES = frozenset({4400, 4401, 4403, 4404, 4413, 4429, 4500})


class StreamError(ClinscribeError):
    """A protocol or policy failure: sent as an error message, then the connection closes.

    The close code mirrors an HTTP status (4400 ~ 400, 4500 ~ 500), which `status_code` carries.
    """

    status_code = 400
    code = "stream_error"

    def __init__(self, close_code: int, code: str, message: str) -> None:
        status = close_code - 4000 if 4400 <= close_code <= 4599 else 500
        super().__init__(message, status_code=status, code=code)
        self.close_code = close_code

    @classmethod
    def of(cls, error: ClinscribeError) -> StreamError:
        """The close that reports any error of the tree with its own code and message."""
        close_code = 4000 + error.status_code
        if close_code not in FINAL_CLOSE_CODES:
            close_code = 4400 if error.status_code < 500 else 4500
        return cls(close_code, error.code, error.message)

    def payload(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message}


def bad_message(message: str) -> StreamError:
    return StreamError(4400, "bad_message", message)


class StreamConfig(BaseModel):
    """The first message of a session."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["config"]
    sample_rate: int = 16000
    encoding: Encoding = "pcm_s16le"
    mode: Literal["dictation", "conversation"] = "dictation"
    encounter_id: str = Field(min_length=1, max_length=64)
    # Reconnecting clients name the session they continue (or pass ?session_id=).
    resume: str | None = Field(default=None, max_length=64)


@dataclass(frozen=True)
class Chunk:
    """Audio bytes from a binary frame or a base64 `chunk` message; `final` ends the audio."""

    data: bytes
    final: bool = False


@dataclass(frozen=True)
class Stop:
    """The client has no more audio."""


def parse_config(text: str) -> StreamConfig:
    """Validate the first message; anything else first is a protocol error."""
    message = _json(text)
    if message.get("type") != "config":
        raise bad_message("the first message must be a config message")
    try:
        config = StreamConfig.model_validate(message)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise bad_message(f"invalid config: {fields}") from exc
    if config.encoding == "pcm_s16le" and config.sample_rate not in PCM_RATES:
        rates = ", ".join(str(r) for r in sorted(PCM_RATES))
        raise bad_message(f"unsupported sample_rate {config.sample_rate}; use one of {rates}")
    return config


def parse_message(text: str) -> Chunk | Stop:
    """A text message after config: `chunk` or `stop`."""
    message = _json(text)
    kind = message.get("type")
    if kind == "stop":
        return Stop()
    if kind == "chunk":
        data, final = message.get("data", ""), message.get("final", False)
        if not isinstance(data, str) or not isinstance(final, bool):
            raise bad_message("chunk needs a base64 string 'data' and a boolean 'final'")
        try:
            return Chunk(base64.b64decode(data, validate=True), final)
        except (binascii.Error, ValueError) as exc:
            raise bad_message("chunk data is not valid base64") from exc
    if kind == "config":
        raise bad_message("config was already accepted")
    raise bad_message(f"unknown message type {str(kind)[:32]!r}")


def _json(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise bad_message("message is not valid JSON") from exc
    if not isinstance(message, dict):
        raise bad_message("message must be a JSON object")
    return message
