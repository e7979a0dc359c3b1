"""Per-area figures from the last mutation run: `python bench/mutation_report.py PATTERN...`.

Reads mutmut's result files under ./mutants for the mutants whose names match the given
glob patterns (what `bench/mutation.sh` passes) and prints killed / total, the survivors and
timeouts by name, so a run's figures can be written down as measured.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes for a mutant's test run (mutmut.stats.status_by_exit_code).
STATUS = {
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


def main(patterns: list[str]) -> int:
    status_by_name: dict[str, str] = {}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in exit_codes.items():
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                status_by_name[name] = STATUS.get(code, "suspicious")
    if not status_by_name:
        print("no mutants match; run bench/mutation.sh first")
        return 1
    counts = Counter(status_by_name.values())
    total = len(status_by_name)
    killed = counts["killed"]
    for status in ("survived", "timeout", "no tests", "suspicious", "not checked"):
        for name in sorted(n for n, s in status_by_name.items() if s == status):
            print(f"{status:>11}  {name}")
    print(f"total {total}: " + ", ".join(f"{s} {n}" for s, n in counts.most_common()))
    print(f"kill rate {killed}/{total} = {killed / total:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
