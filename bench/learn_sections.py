"""Learn which patient sentences belong in the history of present illness (run by hand).

    python bench/learn_sections.py [--aci DIR] [--out src/clinscribe/notes/core/learned.py]

Reads the ACI-Bench TRAIN split only (../shared/datasets/aci-bench relative to the repository
root; never copied here). ACI-Bench: Yim et al., "ACI-BENCH: a Novel Ambient Clinical
Intelligence Dataset for Benchmarking Automatic Visit Note Generation", Scientific Data 10:586,
2023 (CC BY 4.0).

Each declarative patient sentence of a train dialogue is labelled by the reference note: "hpi"
when most of its content words appear in the note's HISTORY OF PRESENT ILLNESS, "other" when
they do not appear there. A naive-Bayes log-odds weight per word (add-one smoothing, words seen
at least MIN_COUNT times, the strongest MAX_WORDS kept) is written as a small Python module the
drafter reads; no dialogue or note text is written, only the weights of single words.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from clinscribe.notes.core.classify import fix_speakers  # noqa: E402
from clinscribe.notes.core.cues import words  # noqa: E402
from clinscribe.notes.core.units import prepare  # noqa: E402
from notes import HEADING_GROUP, HEADING_RE, SPLITS, read_csv, transcript  # noqa: E402

MIN_COUNT = 8
MAX_WORDS = 400
# Share of a sentence's content words that must appear in the reference HPI to label it "hpi".
LABEL_OVERLAP = 0.6
_STOP = frozenset(
    re.findall(
        r"\w+",
        "a an the and or but so to of in on at for with i my me you your it is was are were be "
        "been this that there have has had do did does not no yes yeah um uh like just know okay",
    )
)


def sections(note: str) -> dict[str, str]:
    out: dict[str, str] = {}
    current = None
    for line in note.splitlines():
        match = HEADING_RE.match(line.strip())
        if match and match.group(1).strip() in HEADING_GROUP:
            current = HEADING_GROUP[match.group(1).strip()]
            out.setdefault(current, "")
            continue
        if current:
            out[current] += line.lower() + "\n"
    return out


def _stem(word: str) -> str:
    return re.sub(r"(?:ing|ed|es|s)$", "", word)


def label(text: str, hpi: str) -> str | None:
    content = [w for w in words(text) if w not in _STOP and len(w) > 2]
    if len(content) < 2:
        return None
    ref = {_stem(w) for w in re.findall(r"[a-z']+", hpi)}
    share = sum(_stem(w) in ref for w in content) / len(content)
    return "hpi" if share >= LABEL_OVERLAP else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--aci", type=Path, default=ROOT.parent / "shared" / "datasets" / "aci-bench"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "src" / "clinscribe" / "notes" / "core" / "learned.py"
    )
    args = parser.parse_args()
    rows = read_csv(args.aci / "challenge_data" / SPLITS["train"])
    counts: dict[str, Counter[str]] = {"hpi": Counter(), "other": Counter()}
    docs: Counter[str] = Counter()
    for row in rows:
        hpi = sections(row["note"]).get("hpi")
        if hpi is None:
            continue  # a note without an HPI says nothing about what belongs in one
        prepared = prepare(transcript(row["dialogue"]).segments)
        fix_speakers(prepared.units)
        for unit in prepared.units:
            if unit.speaker != "patient" or unit.is_question:
                continue
            found = label(unit.text, hpi)
            if found is None:
                continue
            docs[found] += 1
            counts[found].update(set(words(unit.text)))
    total = counts["hpi"] + counts["other"]
    vocab = {w for w, n in total.items() if n >= MIN_COUNT}
    n_hpi, n_other = docs["hpi"], docs["other"]
    weights = {
        w: math.log((counts["hpi"][w] + 1) / (n_hpi + 2))
        - math.log((counts["other"][w] + 1) / (n_other + 2))
        for w in vocab
    }
    kept = sorted(weights, key=lambda w: -abs(weights[w]))[:MAX_WORDS]
    prior = math.log(n_hpi / n_other)
    lines = [
        '"""Word weights for "does this patient sentence belong in the HPI" (generated).',
        "",
        "Written by bench/learn_sections.py from the ACI-Bench train split (Yim et al., Scientific",
        "Data 10:586, 2023, CC BY 4.0): naive-Bayes log-odds of a word appearing in a patient",
        f"sentence the reference HPI covers ({n_hpi} sentences) against one it does not",
        f"({n_other}). Do not edit by hand; run the script again.",
        '"""',
        "",
        f"PRIOR = {prior:.4f}",
        "WEIGHTS: dict[str, float] = {",
    ]
    lines += [f'    "{w}": {weights[w]:.3f},' for w in sorted(kept)]
    lines += ["}", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"{n_hpi} hpi / {n_other} other sentences, {len(kept)} words -> {args.out}")
    for w in sorted(kept, key=lambda w: -weights[w])[:25]:
        print(f"  {w:<16} {weights[w]:+.2f}")


if __name__ == "__main__":
    main()
