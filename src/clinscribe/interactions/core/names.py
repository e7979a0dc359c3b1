"""Drug names as written (brands, salts, doses) to the generic names sources are keyed by."""

from __future__ import annotations

import re
from typing import Final

from clinscribe.interactions.core.classes import CLASS_ALIASES
from clinscribe.interactions.core.model import ResolvedName
from clinscribe.nlp.core.drugs import DrugLexicon

_MAX_NAME: Final = 120
_SPACES: Final = re.compile(r"\s+")
# A dose, strength or form ends the name: "simvastatin 40 mg tablet" -> "simvastatin".
_TAIL: Final = re.compile(r"\s*(?:\d|\(|,|;).*$")
# The lexicon spells a few generics differently from the tables (US adopted names).
_SPELLING: Final[dict[str, str]] = {
    "rifampicin": "rifampin",
    "paracetamol": "acetaminophen",
    "lithium carbonate": "lithium",
    "lithium citrate": "lithium",
}


class NameResolver:
    """Resolves a written drug or allergen name through the NLP drug lexicon (brand -> generic)."""

    def __init__(self, lexicon: DrugLexicon) -> None:
        self._lexicon = lexicon

    def resolve(self, written: str) -> ResolvedName | None:
        """The generic for a written name, or None when it is not a drug name we know."""
        if not isinstance(written, str):
            return None
        text = _SPACES.sub(" ", written.strip().lower())[:_MAX_NAME]
        if not text:
            return None
        for candidate in _candidates(text):
            alias = CLASS_ALIASES.get(candidate)
            if alias is not None:
                return ResolvedName(written=written, generic=alias)
            drug = self._lexicon.get(candidate)
            if drug is not None:
                generic = drug.name.lower()
                return ResolvedName(
                    written=written,
                    generic=_SPELLING.get(generic, generic),
                    drugbank_id=drug.drugbank_id,
                )
        return None


def _candidates(text: str) -> list[str]:
    """The name as written, without its dose/form tail, then ever shorter word prefixes."""
    out = [text]
    stripped = _TAIL.sub("", text).strip()
    if stripped and stripped != text:
        out.append(stripped)
    words = stripped.split()
    out.extend(" ".join(words[:n]) for n in range(len(words) - 1, 0, -1))
    return out
