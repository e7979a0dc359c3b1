"""One error tree: every exception class in the package is a ClinscribeError with its own code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import clinscribe
from clinscribe.errors import ClinscribeError
from clinscribe.streaming.core.protocol import StreamError


def _modules() -> list[str]:
    # `__main__` modules run the command line when imported; they define no classes.
    return sorted(
        m.name
        for m in pkgutil.walk_packages(clinscribe.__path__, "clinscribe.")
        if not m.name.endswith("__main__")
    )


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


CLASSES = _exception_classes()


def test_the_walk_finds_the_capability_errors() -> None:
    names = {c.__name__ for c in CLASSES}
    # A walk that imported nothing would pass every check below: make sure it did not.
    assert {
        "ClinscribeError",
        "AudioError",
        "AsrError",
        "NotesError",
        "FhirError",
        "StreamError",
        "NlpInputError",
        "DecryptionError",
        "UploadCorruptError",
        "SpoolCorruptError",
        "JobBusy",
        "RetryJob",
        "CliError",
    } <= names
    assert len(CLASSES) >= 45


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_exception_is_a_clinscribe_error_with_its_own_code(
    cls: type[BaseException],
) -> None:
    assert issubclass(cls, ClinscribeError), f"{cls.__qualname__} is not in the error tree"
    doc = cls.__dict__.get("__doc__")
    assert doc and doc.strip(), f"{cls.__qualname__} has no docstring of its own"
    if cls is ClinscribeError:
        return
    # Its own code and status, declared on the class (not inherited), and not the default.
    assert "code" in vars(cls) and "status_code" in vars(cls), cls.__qualname__
    assert isinstance(cls.code, str) and cls.code and cls.code != ClinscribeError.code
    assert 400 <= cls.status_code <= 599, (cls.__qualname__, cls.status_code)


def test_codes_are_unique_across_unrelated_classes() -> None:
    """Two classes share a code only when one specialises the other (e.g. UnsafeUrlError)."""
    by_code: dict[str, list[type[ClinscribeError]]] = {}
    for cls in CLASSES:
        if issubclass(cls, ClinscribeError) and cls is not ClinscribeError:
            by_code.setdefault(cls.code, []).append(cls)
    for code, classes in by_code.items():
        root = min(classes, key=lambda c: len(c.__mro__))
        assert all(issubclass(c, root) for c in classes), (code, classes)


def test_a_stream_error_carries_the_status_its_close_code_mirrors() -> None:
    assert StreamError(4413, "frame_too_large", "too big").status_code == 413
    assert StreamError(4500, "internal_error", "boom").status_code == 500
    assert StreamError(1011, "odd", "not an application code").status_code == 500


def test_any_error_of_the_tree_closes_a_stream_with_its_own_code() -> None:
    from clinscribe.errors import Forbidden, ServiceUnavailable, Unprocessable
    from clinscribe.streaming.core.spool import SpoolCorruptError

    denied = StreamError.of(Forbidden("not yours"))
    assert (denied.close_code, denied.code, denied.message) == (4403, "forbidden", "not yours")
    # A status the web client would not treat as final becomes 4400 (or 4500): no reconnect loop.
    bad = StreamError.of(Unprocessable("no"))
    assert (bad.close_code, bad.code) == (4400, "validation_error")
    damaged = StreamError.of(SpoolCorruptError("a live session's audio record is damaged"))
    assert (damaged.close_code, damaged.code) == (4500, "spool_corrupt")
    busy = StreamError.of(ServiceUnavailable("draining"))
    assert (busy.close_code, busy.code) == (4500, "service_unavailable")
    assert busy.payload() == {"type": "error", "code": "service_unavailable", "message": "draining"}
