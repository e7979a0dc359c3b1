"""Drug lexicon built from the ``drug-named-entity-recognition`` dictionary.

That package ships ~100k name variants (generic, brand, abbreviations) mapped to canonical
drugs with DrugBank and MedlinePlus ids. Its raw list contains laboratory analytes, wiki
markup and short acronyms from chemistry, so it is filtered here, completed with common
clinical abbreviations and brands it lacks, and indexed for exact and fuzzy (ASR) lookup.
"""

from __future__ import annotations

import bz2
import functools
import importlib.util
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

_PACKAGE = "drug_named_entity_recognition"
_DATA_FILE = "drug_ner_dictionary.pkl.bz2"
_VALID_VARIANT = re.compile(r"^[a-z][a-z0-9\-/ ']*$")
_MAX_TOKENS = 4

# Short names worth keeping although the general filter drops names under five letters.
_SHORT_KEEP = frozenset(
    {"apap", "hctz", "lmwh", "ivig", "qvar", "axid", "urso", "orap", "keppra", "dhea", "coq10"}
)
# Variants that are mostly lab analytes, hormones measured in blood, foods or plain words.
_BLOCK = frozenset(
    [
        "cortisol",
        "aldosterone",
        "paps",
        "camila",
        "glucose",
        "potassium",
        "sodium",
        "calcium",
        "magnesium",
        "chloride",
        "water",
        "iron",
        "zinc",
        "caffeine",
        "nicotine",
        "alcohol",
        "oxygen",
        "hemoglobin",
        "albumin",
        "creatinine",
        "bilirubin",
        "cholesterol",
        "triglycerides",
        "thyrotropin",
        "ferritin",
        "folate",
        "vitamin",
        "troponin",
        "urea",
        "lactate",
        "bicarbonate",
        "phosphate",
        "sugar",
        "salt",
        "protein",
        "fiber",
        "collagen",
        "ice",
        "heat",
        "rest",
        "today",
        "plan",
        "focus",
        "relief",
        "balance",
        "complete",
        "ready",
        "energy",
        "allergy",
        "wellness",
        "sleep",
        "cold",
        "flu",
        "sun",
        "fluids",
        "sodium",
        "chloride",
        "blood",
        "plasma",
        "serum",
        "saline",
        "gelatin",
        "lipids",
        "lipid",
        "enzymes",
        "hormone",
        "hormones",
        "antigen",
        "d-dimer",
        "amylase",
        "lipase",
        "psa",
        "tsh",
    ]
) | frozenset(
    {
        "alkaline phosphatase",
        "amino acids",
        "amino acid",
        "uric acid",
        "growth hormone",
        "pituitary hormones",
        "all clear",
        "proton pump",
        "vitamin d level",
    }
)

# Abbreviations and brands missing from the package: variant -> canonical name in the package.
_EXTRA = {
    "asa": "aspirin",
    "baby aspirin": "aspirin",
    "ntg": "nitroglycerin",
    "nitro": "nitroglycerin",
    "kcl": "potassium chloride",
    "k dur": "potassium chloride",
    "klor con": "potassium chloride",
    "b12": "cyanocobalamin",
    "vitamin b12": "cyanocobalamin",
    "norco": "hydrocodone",
    "vicodin": "hydrocodone",
    "percocet": "oxycodone",
    "augmentin": "amoxicillin",
    "keflex": "cephalexin",
    "z pack": "azithromycin",
    "zpack": "azithromycin",
    "z pak": "azithromycin",
    "zithromax": "azithromycin",
    "mtx": "methotrexate",
    "tmp smx": "trimethoprim/sulfamethoxazole",
    "lovenox": "enoxaparin",
    "toradol": "ketorolac",
    "tessalon": "benzonatate",
    "tessalon perles": "benzonatate",
    "glucophage": "metformin",
    "zestril": "lisinopril",
    "prinivil": "lisinopril",
    "ativan": "lorazepam",
    "xanax": "alprazolam",
    "valium": "diazepam",
}
_MAX_FUZZY_EDITS_RATIO = 86.0


@dataclass(frozen=True, slots=True)
class Drug:
    """A canonical drug as found through one of its names."""

    name: str
    is_brand: bool
    drugbank_id: str | None
    medlineplus_id: str | None


class DrugLexicon:
    """Exact and fuzzy lookup of drug names."""

    def __init__(self, variants: dict[str, Drug]) -> None:
        self.variants = variants
        self._fuzzy_choices = sorted(
            v for v, d in variants.items() if " " not in v and len(v) >= 6 and d.drugbank_id
        )

    def get(self, variant: str) -> Drug | None:
        """Return the drug for an exact (lower-case) name."""
        return self.variants.get(variant)

    def fuzzy(self, token: str) -> tuple[str, Drug, float] | None:
        """Return the closest single-word drug name for an ASR misspelling, if close enough."""
        if len(token) < 6:
            return None
        choices = [c for c in self._fuzzy_choices_for(token[0])]
        found = process.extractOne(
            token, choices, scorer=fuzz.ratio, score_cutoff=_MAX_FUZZY_EDITS_RATIO
        )
        if found is None:
            return None
        name = str(found[0])
        return name, self.variants[name], float(found[1]) / 100.0

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one lexicon per process
    def _fuzzy_choices_for(self, first: str) -> tuple[str, ...]:
        return tuple(c for c in self._fuzzy_choices if c[0] == first)


def _drug(canonical: str, data: dict[str, Any], is_brand: bool) -> Drug:
    name = str(data.get("name") or canonical)
    return Drug(
        name=name,
        is_brand=is_brand,
        drugbank_id=data.get("drugbank_id"),
        medlineplus_id=data.get("medline_plus_id"),
    )


def _keep(variant: str) -> bool:
    if variant in _BLOCK or not _VALID_VARIANT.match(variant):
        return False
    tokens = variant.split()
    if len(tokens) > _MAX_TOKENS:
        return False
    return not (len(tokens) == 1 and len(variant) < 5 and variant not in _SHORT_KEEP)


def _is_brand(variant: str, canonical: str, data: dict[str, Any], flag: object) -> bool:
    if isinstance(flag, bool):
        return flag
    name = str(data.get("name") or canonical).lower()
    if variant in (canonical, name) or len(variant) <= 4:
        return False  # the generic name itself, or an abbreviation such as HCTZ or APAP
    if variant in name or name in variant:
        return False  # salts and forms: "metformin hydrochloride"
    return fuzz.ratio(variant, name) < 80  # close spellings ("frusemide") are generic too


def _data_path() -> Path:
    # Locate the data without importing the package: its __init__ loads the same file itself.
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(_PACKAGE)
    return Path(next(iter(spec.submodule_search_locations))) / _DATA_FILE


@functools.lru_cache(maxsize=1)
def load_drug_lexicon() -> DrugLexicon:
    """Load and filter the packaged drug dictionary (cached, about half a second)."""
    raw = _data_path().read_bytes()
    data: dict[str, dict[str, Any]] = pickle.loads(bz2.decompress(raw))  # noqa: S301  # nosec B301
    to_canonical: dict[str, list[str]] = data["drug_variant_to_canonical"]
    canonical_data: dict[str, dict[str, Any]] = data["drug_canonical_to_data"]
    variant_data: dict[str, dict[str, Any]] = data["drug_variant_to_variant_data"]
    variants: dict[str, Drug] = {}
    for variant, canonicals in to_canonical.items():
        norm = variant.lower().strip()
        if not canonicals or not _keep(norm):
            continue
        canonical = canonicals[0]
        info = canonical_data.get(canonical, {})
        flag = variant_data.get(variant, {}).get("is_brand")
        variants[norm] = _drug(canonical, info, _is_brand(norm, canonical, info, flag))
    for variant, canonical in _EXTRA.items():
        known = variants.get(canonical) or _drug(
            canonical, canonical_data.get(canonical, {}), False
        )
        brand = variant not in (
            "asa",
            "ntg",
            "nitro",
            "kcl",
            "b12",
            "vitamin b12",
            "mtx",
            "tmp smx",
        )
        variants[variant] = Drug(known.name, brand, known.drugbank_id, known.medlineplus_id)
    return DrugLexicon(variants)
