"""Drug lexicon (from drug-named-entity-recognition) and a common-English word list."""

from __future__ import annotations

import bz2
import json
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jellyfish
from rapidfuzz.distance import Levenshtein

_LETTERS = re.compile(r"[^a-z]")

# A short clinical-style prompt. It primes tiny.en towards clinical wording, numerals and
# "milligrams" without listing a vocabulary: prompting with a long term list made beam search
# drop whole prescription sentences. The drugs named here are deliberately generic examples.
MEDICAL_PROMPT = (
    "Clinical dictation. The patient takes metformin 500 milligrams twice daily "
    "and levothyroxine 50 micrograms daily."
)


# Metaphone letters folded into classes of sounds that tiny.en confuses (b/p/f/v, t/d/th,
# k/g/j, s/z/sh, m/n), and vowels (metaphone keeps only a leading one) dropped.
_SOUND_CLASSES = str.maketrans("BPFVDT0GJKQXSZNM", "PPPPTTTKKKKSSSNN", "HWYAEIOU")


def letters(text: str) -> str:
    """Lower-case letters only: the key both the lexicon and the heard words are matched on."""
    return _LETTERS.sub("", text.lower())


def phonetic(text: str) -> str:
    """Metaphone key of a (possibly multi-word) string, spaces removed first."""
    key = letters(text)
    return jellyfish.metaphone(key) if key else ""


def sound_class(sound: str) -> str:
    """Coarser key than metaphone: confusable consonants merged, vowels and h/w/y dropped."""
    return sound.translate(_SOUND_CLASSES)


@dataclass(frozen=True)
class DrugEntry:
    """A drug name as it should be written, with its match keys.

    ``generic`` is the generic name a brand stands for ("" for a generic): a brand and its
    own generic name the same drug, so choosing between them is never a swap.
    """

    name: str
    key: str
    sound: str
    coarse: str
    common: bool = True
    generic: str = ""


@dataclass(frozen=True)
class DrugLexicon:
    """Names to correct towards, indexed by spelling and by sound."""

    entries: tuple[DrugEntry, ...]
    by_key: dict[str, DrugEntry]
    keys: tuple[str, ...]
    sounds: tuple[str, ...]

    @classmethod
    def from_names(
        cls,
        names: set[str] | list[str],
        rare: set[str] | frozenset[str] = frozenset(),
        brands: dict[str, str] | None = None,
    ) -> DrugLexicon:
        """Build from names; ``rare`` ones get a small prior penalty when matching.

        ``brands`` maps brand names to their generic; a brand is matched like a common name.
        """
        brands = brands or {}
        entries = []
        for n in sorted(set(names) | set(rare) | set(brands)):
            if len(letters(n)) < 4:
                continue
            sound = phonetic(n)
            common = n not in rare or n in names
            generic = brands.get(n, "") if n not in names else ""
            entries.append(DrugEntry(n, letters(n), sound, sound_class(sound), common, generic))
        return cls(
            entries=tuple(entries),
            by_key={e.key: e for e in entries},
            keys=tuple(e.key for e in entries),
            sounds=tuple(e.sound for e in entries),
        )


def _is_clean_name(name: str) -> bool:
    words = name.split()
    return 1 <= len(words) <= 2 and all(w.isalpha() for w in words) and len(name) >= 5


@lru_cache(maxsize=1)
def load_drug_lexicon() -> DrugLexicon:
    """Drugs with a MedlinePlus/NHS page (common), plus other generic names (rare)."""
    path = files("drug_named_entity_recognition").joinpath("drug_ner_dictionary.pkl.bz2")
    with bz2.open(str(path), "rb") as fh:
        # The pickle ships inside a pinned, installed package: trusted local data.
        data = pickle.load(fh)  # noqa: S301  # nosec B301
    canonical: dict[str, dict[str, object]] = data["drug_canonical_to_data"]
    variants: dict[str, dict[str, object]] = data["drug_variant_to_variant_data"]
    names = {
        name
        for name, info in canonical.items()
        if ("medline_plus_id" in info or "nhs_url" in info) and _is_clean_name(name)
    }
    # Brand names are left out on purpose: many are short invented words close to English.
    to_canonical: dict[str, list[str]] = data["drug_variant_to_canonical"]
    rare: set[str] = set()
    for n, info in variants.items():
        # Skip brands and class names ("penicillins", "acaricides"): they are not drugs to name.
        if info.get("is_brand") is not False or n.endswith("s") or not _is_clean_name(n):
            continue
        targets = [canonical.get(c, {}) for c in to_canonical.get(n, [])]
        if any("medline_plus_id" in t or "nhs_url" in t for t in targets):
            names.add(n)
        elif any("drugbank_id" in t for t in targets):
            rare.add(n)
    return DrugLexicon.from_names(names, rare - names, _brands(data, names))


# Brand names of common drugs, one plain word, that are not a spelling variant of
# their generic ("indapamidum", "torasémide") and not an English word: the package's own map.
_BRAND_SPELLING_LIMIT = 0.6


def _brands(data: dict[str, dict[str, object]], common: set[str]) -> dict[str, str]:
    canonical: dict[str, dict[str, object]] = data["drug_canonical_to_data"]  # type: ignore[assignment]
    variants: dict[str, dict[str, object]] = data["drug_variant_to_variant_data"]  # type: ignore[assignment]
    to_canonical: dict[str, list[str]] = data["drug_variant_to_canonical"]  # type: ignore[assignment]
    brands: dict[str, str] = {}
    for name, targets in to_canonical.items():
        info = variants.get(name)
        if info is not None and info.get("is_brand") is False:
            continue
        if name in common or not name.isalpha() or not name.isascii() or len(name) < 5:
            continue
        if name.endswith(("s", "um")) or len(targets) != 1:
            continue
        generic = targets[0]
        target = canonical.get(generic, {})
        if generic not in common or not ("medline_plus_id" in target or "nhs_url" in target):
            continue
        if (
            Levenshtein.normalized_similarity(letters(name), letters(generic))
            >= _BRAND_SPELLING_LIMIT
        ):
            continue
        brands[name] = generic
    return brands


@lru_cache(maxsize=4)
def load_common_words(tokenizer_json: str) -> frozenset[str]:
    """Words the Whisper tokenizer holds as one token: a cheap list of common English words.

    Drug names are almost never a single BPE token, so a span made only of such words is
    ordinary English unless the context says a medication is being named.
    """
    vocab: dict[str, int] = json.loads(Path(tokenizer_json).read_text("utf-8"))["model"]["vocab"]
    return frozenset(tok[1:].lower() for tok in vocab if tok.startswith("Ġ") and tok[1:].isalpha())
