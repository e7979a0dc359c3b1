"""The evidence commands, run in-process (a subprocess per call would cost a second each)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from clinscribe.cli import main
from clinscribe.config import Settings, get_settings
from tests.conftest import TEST_SECRET


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Ran]


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    """`clinscribe ARGS…` against the test's data dir; keyword arguments are more settings."""

    def run(*args: str, **env: str) -> Ran:
        values = {
            "DATA_DIR": str(settings.data_dir),
            "JWT_SECRET": TEST_SECRET,
            "API_KEY_PEPPER": TEST_SECRET + "-pepper",
            **{k.upper(): v for k, v in env.items()},
        }
        for name, value in values.items():
            monkeypatch.setenv(f"CLINSCRIBE_{name}", value)
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()
