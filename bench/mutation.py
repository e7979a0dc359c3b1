"""Mutation testing with mutmut, one area per run (see docs/mutation.md). Not part of `make test`.

    python bench/mutation.py AREA              mutate every line of AREA, run its tests
    python bench/mutation.py AREA --digits 16  a systematic sample: mutants numbered ...1 or ...6
    python bench/mutation.py AREA --report     the figures and survivors of the last run
    python bench/mutation.py AREA --diffs      the same, with each survivor's diff
    python bench/mutation.py AREA --fresh      forget earlier results first

AREA is review, faithfulness, delivery or sealing. Each area works in its own directory,
build/mutation/AREA, with its own mutmut configuration: the files it mutates and the fast unit
tests that exercise them. mutmut runs, for each mutant, only those of the area's tests that
called the mutated function, and stops at the first failure. Results are kept: a later run
re-tests only what mutmut sees as changed (functions, tests, the area's test list). Use --fresh
to measure from scratch, and after source changes outside the mutated files (mutmut does not
refresh its copy of those).
"""

from __future__ import annotations

import argparse
import configparser
import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Area:
    files: tuple[str, ...]
    tests: tuple[str, ...]


AREAS = {
    "review": Area(
        files=("src/clinscribe/review/service.py", "src/clinscribe/review/decisions.py"),
        tests=("tests/unit/review",),
    ),
    "faithfulness": Area(
        files=("src/clinscribe/notes/core/faithfulness.py",),
        tests=(
            "tests/unit/notes/test_faithfulness.py",
            "tests/unit/notes/test_faithfulness_mutants.py",
            "tests/unit/notes/test_drafting.py",
            "tests/unit/notes/test_llm_refinement.py",
        ),
    ),
    "delivery": Area(
        files=(
            "src/clinscribe/fhir/service.py",
            "src/clinscribe/fhir/tasks.py",
            "src/clinscribe/fhir/core/bundle.py",
            "src/clinscribe/fhir/core/client.py",
            "src/clinscribe/fhir/core/retry.py",
        ),
        # Not the fault-injection soak: it is the slowest test and its timing-sensitive
        # assertions fail under mutmut's tracing on a loaded machine, before any mutant runs.
        tests=(
            "tests/unit/fhir/test_delivery.py",
            "tests/unit/fhir/test_delivery_mutants.py",
            "tests/unit/fhir/test_fhir_auth.py",
            "tests/unit/fhir/test_fhir_delivery.py",
            "tests/unit/fhir/test_fhir_mapping.py",
            "tests/unit/fhir/test_fhir_urls.py",
        ),
    ),
    "sealing": Area(
        files=(
            "src/clinscribe/db/sealed.py",
            "src/clinscribe/security/keys.py",
            "src/clinscribe/security/crypto.py",
            "src/clinscribe/security/records.py",
            "src/clinscribe/storage/blobs.py",
        ),
        tests=(
            "tests/unit/security/test_encryption.py",
            "tests/unit/security/test_keys.py",
            "tests/unit/security/test_records.py",
            "tests/unit/security/test_sealing_mutants.py",
            "tests/unit/storage",
            "tests/unit/maintenance/test_backup.py",
        ),
    ),
}

# mutmut's exit codes for a mutant's test run (mutmut.stats.status_by_exit_code).
STATUS: dict[int | None, str] = {
    0: "survived",
    1: "killed",
    3: "killed",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "caught by type check",
    None: "not checked",
}


def _ini_value(value: object) -> str:
    if isinstance(value, list):
        return "".join(f"\n{item}" for item in value)
    return str(value)


def prepare(name: str, area: Area, *, fresh: bool) -> Path:
    """The area's work directory: the tree (linked) and a setup.cfg for mutmut and pytest."""
    work = ROOT / "build" / "mutation" / name
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for linked in ("src", "tests"):
        if not (work / linked).exists():
            (work / linked).symlink_to(ROOT / linked, target_is_directory=True)
    config = configparser.ConfigParser(interpolation=None)
    config["mutmut"] = {
        "source_paths": _ini_value(["src"]),
        "only_mutate": _ini_value(list(area.files)),
        "pytest_add_cli_args_test_selection": _ini_value(list(area.tests)),
        "pytest_add_cli_args": _ini_value(["-p", "no:cacheprovider"]),
    }
    # No pyproject.toml here (mutmut would read its own section from it first), so pytest's
    # settings are carried over into this setup.cfg.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pytest_options = pyproject["tool"]["pytest"]["ini_options"]
    config["tool:pytest"] = {key: _ini_value(value) for key, value in pytest_options.items()}
    with (work / "setup.cfg").open("w") as out:
        config.write(out)
    return work


def statuses(work: Path, pattern: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if fnmatch.fnmatchcase(mutant, pattern):
                found[mutant] = STATUS.get(code, "suspicious")
    return found


def report(work: Path, pattern: str, *, diffs: bool) -> int:
    found = statuses(work, pattern)
    if not found:
        print("no results: run this area first")
        return 1
    for status in ("survived", "timeout", "suspicious", "no tests", "not checked"):
        for mutant in sorted(m for m, s in found.items() if s == status):
            print(f"{status:>11}  {mutant}")
            if diffs and status == "survived":
                subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=work)
    by_module: dict[str, Counter[str]] = {}
    for mutant, status in found.items():
        module = mutant.split(".x", 1)[0]  # mutmut names functions x_name / xǁClassǁname
        by_module.setdefault(module, Counter())[status] += 1
    for module, module_counts in sorted(by_module.items()):
        total = sum(module_counts.values())
        print(f"{module}: killed {module_counts['killed']}/{total}")
    counts = Counter(found.values())
    print(f"total {len(found)}: " + ", ".join(f"{s} {n}" for s, n in counts.most_common()))
    print(f"kill rate {counts['killed']}/{len(found)} = {counts['killed'] / len(found):.1%}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("area", choices=sorted(AREAS))
    parser.add_argument("--digits", help="only mutants whose number ends in one of these digits")
    parser.add_argument("--jobs", type=int, default=2, help="parallel mutant runs (default 2)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier results")
    parser.add_argument("--report", action="store_true", help="no run, only the figures")
    parser.add_argument("--diffs", action="store_true", help="no run, figures and diffs")
    args = parser.parse_args()
    pattern = f"*__mutmut_*[{args.digits}]" if args.digits else "*"
    work = prepare(args.area, AREAS[args.area], fresh=args.fresh)
    if not (args.report or args.diffs):
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)]
        run = subprocess.run([*command, pattern], cwd=work)
        if run.returncode != 0:
            return run.returncode
    return report(work, pattern, diffs=args.diffs)


if __name__ == "__main__":
    sys.exit(main())
