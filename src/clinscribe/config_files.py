"""Settings read from files: `CLINSCRIBE_X_FILE`, or a secrets directory (container secrets)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

from clinscribe.errors import ConfigError

PREFIX = "CLINSCRIBE_"


class FileSettingsSource(PydanticBaseSettingsSource):
    """Any setting `X` from a file: `CLINSCRIBE_X_FILE=/path`, or a file named `CLINSCRIBE_X`
    in the directory `CLINSCRIBE_SECRETS_DIR` (a Secret volume, a Vault Agent template's
    output). Secrets thus never sit in the environment or an image; a trailing newline is
    dropped. Setting both `X` and `X_FILE` is refused; an `X` in the environment wins over
    the secrets directory."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = os.environ
        secrets_dir = env.get(PREFIX + "SECRETS_DIR")
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            if field.validation_alias is not None:
                continue  # standard variables of other tools (OTEL_*) keep their own rules
            var = PREFIX + name.upper()
            path: Path | None = None
            if env.get(var + "_FILE"):
                if var in env:
                    raise ConfigError(f"set {var} or {var}_FILE, not both")
                path = Path(env[var + "_FILE"])
            elif secrets_dir and var not in env and (Path(secrets_dir) / var).is_file():
                path = Path(secrets_dir) / var
            if path is None:
                continue
            try:
                raw = path.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                # Name the variable and the problem, never the content.
                raise ConfigError(
                    f"{var}_FILE: cannot read the file ({type(exc).__name__})"
                ) from None
            if self.field_is_complex(field):
                try:
                    values[name] = self.decode_complex_value(name, field, raw)
                except ValueError:
                    raise ConfigError(f"{var}_FILE: the file is not valid JSON") from None
            else:
                values[name] = raw
        return values
