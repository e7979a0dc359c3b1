#!/usr/bin/env bash
# Mutation testing, one area per run (docs/mutation.md). Not part of `make test`.
#
#   bench/mutation.sh AREA                 every mutant of AREA
#   MUTATION_DIGITS=16 bench/mutation.sh AREA
#                                          only mutants whose number ends in 1 or 6 (a 1-in-5
#                                          systematic sample, for a run that fits a coffee break)
#   bench/mutation.sh AREA report          the figures and survivors of the last run, no run
#
# AREA is review | faithfulness | delivery | sealing. The files mutated and the tests used are
# configured in [tool.mutmut] of pyproject.toml. Results stay in ./mutants (git-ignored); a
# later run re-tests only mutants whose code or tests changed. `mutmut show NAME` prints a
# mutant's diff. MUTATION_JOBS sets the parallel workers (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
area=${1:?usage: bench/mutation.sh review|faithfulness|delivery|sealing [report]}
digits=${MUTATION_DIGITS:-}

case "$area" in
  review) modules=(clinscribe.review.service clinscribe.review.decisions) ;;
  faithfulness) modules=(clinscribe.notes.core.faithfulness) ;;
  delivery)
    modules=(clinscribe.fhir.service clinscribe.fhir.tasks clinscribe.fhir.core.bundle
      clinscribe.fhir.core.client clinscribe.fhir.core.retry) ;;
  sealing)
    modules=(clinscribe.db.sealed clinscribe.security.keys clinscribe.security.crypto
      clinscribe.storage.blobs) ;;
  *) echo "unknown area: $area" >&2; exit 2 ;;
esac

patterns=()
for module in "${modules[@]}"; do
  if [[ -n "$digits" ]]; then
    patterns+=("$module.*__mutmut_*[$digits]")
  else
    patterns+=("$module.*")
  fi
done

if [[ "${2:-}" != report ]]; then
  "$BIN/mutmut" run --max-children "${MUTATION_JOBS:-2}" "${patterns[@]}"
fi
"$BIN/python" bench/mutation_report.py "${patterns[@]}"
