"""The shape of the tree that newcomers rely on: one home per capability, tests beside it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "clinscribe"
UNIT = ROOT / "tests" / "unit"
MAX_LINES = 400

# Function-local imports of our own modules, each loaded late on purpose.
LATE_OWN_IMPORTS = {
    # `clinscribe serve` alone needs the web app; `--help` and every other command skip it.
    ("cli/serve.py", "clinscribe.api.app"),
    # The OpenTelemetry SDK (~0.1 s to import) loads only in processes that trace.
    ("observability/tracing.py", "clinscribe.observability.otel_export"),
}


def modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_no_module_is_longer_than_the_house_limit() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_our_own_modules_are_imported_at_the_top_of_a_module() -> None:
    late = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                    "clinscribe"
                ):
                    late.add((str(path.relative_to(SRC)), inner.module))
                elif isinstance(inner, ast.Import):
                    late |= {
                        (str(path.relative_to(SRC)), a.name)
                        for a in inner.names
                        if a.name.startswith("clinscribe")
                    }
    assert late == LATE_OWN_IMPORTS


def test_every_capability_package_has_its_unit_tests_in_the_mirrored_folder() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    # The web UI is tested in the browser (tests/e2e); the database layer through every
    # capability that stores something and on the real servers (tests/integration).
    untested_here = {"web", "db"}
    missing = {
        name for name in packages - untested_here if not any((UNIT / name).glob("test_*.py"))
    }
    assert missing == set()


def test_pure_cores_hold_no_service_modules() -> None:
    cores = [p for p in SRC.rglob("core") if p.is_dir()]
    assert {c.parent.name for c in cores} == {
        "asr",
        "nlp",
        "notes",
        "fhir",
        "streaming",
        "documents",
        "retrieval",
        "reports",
        "interactions",
        "openemr",
        "clinical",
        "waveforms",
        "imaging",
    }
    for core in cores:
        names = {p.stem for p in core.glob("*.py")}
        assert not names & {"service", "tasks", "schemas_db"}, core
