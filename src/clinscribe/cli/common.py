"""What every command shares: the one-line error, `--json`, output and settings loading."""

from __future__ import annotations

import json
from typing import Any

import click
from pydantic import ValidationError

from clinscribe.config import Settings, get_settings
from clinscribe.errors import ClinscribeError, ConfigError
from clinscribe.security import crypto

json_option = click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")


class CliError(ClinscribeError):
    """A one-line error for the user; exit code 1 (printed by `main`, like every error)."""

    status_code = 400
    code = "cli_error"


def emit(value: Any, as_json: bool, text: str) -> None:
    """`value` as JSON with `--json`, else the human-readable `text`."""
    click.echo(json.dumps(value, default=str) if as_json else text)


def load_settings() -> Settings:
    """This process's settings with field encryption installed; a bad one is a ConfigError."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        # Name the variable, never echo its value: it may be a key or a password.
        err = exc.errors()[0]
        name = "CLINSCRIBE_" + "_".join(str(p) for p in err["loc"]).upper()
        raise ConfigError(f"{name}: {err['msg']}") from None
    crypto.install(settings)
    return settings
