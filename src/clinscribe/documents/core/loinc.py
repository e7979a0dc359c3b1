"""A curated table of the common laboratory analytes, their LOINC codes and printed names.

This material contains content from LOINC (https://loinc.org). LOINC is copyright (c)
Regenstrief Institute, Inc. and the Logical Observation Identifiers Names and Codes (LOINC)
Committee and is available at no cost under the license at https://loinc.org/license/. LOINC(R)
is a registered United States trademark of Regenstrief Institute, Inc. This table is a small
curated subset (codes and short names chosen for this project), not the LOINC database.

One analyte often has two codes that differ only in the measured property: mass concentration
(mg/dL, g/L) or substance concentration (mmol/L, umol/L). The unit printed beside the value
decides which one applies (`code_for`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinscribe.documents.core.units import unit_property


@dataclass(frozen=True)
class Analyte:
    """One analyte: its canonical name, codes by property, and the names labs print."""

    key: str
    canonical: str
    codes: tuple[tuple[str, str], ...]  # (property, LOINC); the first is the default
    synonyms: tuple[str, ...]

    def code_for(self, ucum: str | None) -> str:
        """The LOINC code for a result printed in `ucum` units."""
        prop = unit_property(ucum) if ucum else None
        for p, code in self.codes:
            if p == prop:
                return code
        return self.codes[0][1]

    @property
    def all_codes(self) -> tuple[str, ...]:
        return tuple(code for _p, code in self.codes)


def _a(key: str, canonical: str, codes: str, *synonyms: str) -> Analyte:
    pairs = tuple((p.split("=")[0], p.split("=")[1]) for p in codes.split() if "=" in p)
    return Analyte(key, canonical, pairs, (canonical, *synonyms))


# codes: "property=LOINC ..." with property one of mass, moles, count, ratio, catalytic,
# arbitrary, fraction, rate, time, number, osmolality; the first listed is the default.
# fmt: off
ANALYTES: tuple[Analyte, ...] = (
    _a("sodium", "Sodium", "moles=2951-2", "na", "sodium serum", "na+"),
    _a("potassium", "Potassium", "moles=2823-3", "k", "k+", "potassium serum"),
    _a("chloride", "Chloride", "moles=2075-0", "cl"),
    _a("bicarbonate", "Bicarbonate", "moles=1963-8", "hco3", "bicarb", "bicarbonate hco3"),
    _a("co2", "Carbon dioxide, total", "moles=2028-9", "co2", "total co2", "carbon dioxide",
       "co2 total", "tco2"),
    _a("anion_gap", "Anion gap", "moles=33037-3", "anion gap"),
    _a("urea", "Urea", "moles=22664-7 mass=3091-6", "urea", "serum urea"),
    _a("bun", "Urea nitrogen (BUN)", "mass=3094-0 moles=14937-7", "bun", "urea nitrogen",
       "blood urea nitrogen", "urea nitrogen bun"),
    _a("bun_creat", "BUN/creatinine ratio", "ratio=3097-3", "bun creatinine ratio",
       "bun creat ratio", "urea creatinine ratio"),
    _a("creatinine", "Creatinine", "moles=14682-9 mass=2160-0", "creatinine", "creat", "cr",
       "serum creatinine", "creatinine serum"),
    _a("egfr", "eGFR", "rate=33914-3", "egfr", "estimated gfr", "gfr estimated", "egfr ckd epi",
       "egfr mdrd", "egfr non afr american", "estimated glomerular filtration rate", "gfr"),
    _a("calcium", "Calcium", "mass=17861-6 moles=2000-8", "ca", "calcium total", "total calcium"),
    _a("calcium_corr", "Calcium, corrected", "mass=29265-6 moles=18281-6", "corrected calcium",
       "calcium corrected", "adjusted calcium", "calcium adjusted"),
    _a("calcium_ion", "Calcium, ionized", "moles=1994-3 mass=17863-2", "ionized calcium",
       "ionised calcium", "calcium ionized", "calcium ionised"),
    _a("magnesium", "Magnesium", "mass=19123-9 moles=2601-3", "mg", "magnesium serum"),
    _a("phosphate", "Phosphate", "mass=2777-1 moles=14879-1", "phosphorus", "phosphate",
       "inorganic phosphate", "phos", "po4"),
    _a("urate", "Urate (uric acid)", "mass=3084-1 moles=14933-6", "uric acid", "urate"),
    _a("osmolality", "Osmolality", "osmolality=2692-2", "osmolality", "serum osmolality"),
    _a("glucose", "Glucose", "mass=2345-7 moles=14749-6", "glucose", "glu", "glucose serum",
       "glucose plasma", "blood glucose", "random glucose", "glucose random"),
    _a("glucose_fasting", "Glucose, fasting", "mass=1558-6 moles=14771-0", "fasting glucose",
       "glucose fasting", "fasting blood glucose", "fbg", "fasting plasma glucose", "fpg"),
    _a("hba1c", "Hemoglobin A1c", "fraction=4548-4 ratio=59261-8", "hba1c", "a1c",
       "hemoglobin a1c", "glycated hemoglobin", "glycosylated hemoglobin", "hb a1c",
       "glycohemoglobin", "hgba1c", "hbaic", "hbalc", "hemoglobin aic", "hemoglobin alc"),
    _a("fructosamine", "Fructosamine", "moles=15069-8", "fructosamine"),
    _a("insulin", "Insulin", "arbitrary=20448-7", "insulin", "fasting insulin"),
    _a("c_peptide", "C-peptide", "mass=1986-9 moles=14676-1", "c peptide"),
    _a("chol", "Cholesterol, total", "mass=2093-3 moles=14647-2", "cholesterol",
       "total cholesterol", "cholesterol total", "chol", "tc", "serum cholesterol"),
    _a("hdl", "HDL cholesterol", "mass=2085-9 moles=14646-4", "hdl", "hdl cholesterol", "hdl c",
       "cholesterol hdl", "high density lipoprotein", "hdl chol"),
    _a("ldl", "LDL cholesterol (calculated)", "mass=13457-7 moles=39469-2", "ldl",
       "ldl cholesterol", "ldl c", "cholesterol ldl", "ldl cholesterol calc", "ldl calc",
       "ldl calculated", "low density lipoprotein", "ldl chol", "ldl cholesterol calculated"),
    _a("ldl_direct", "LDL cholesterol (direct)", "mass=18262-6 moles=22748-8", "direct ldl",
       "ldl direct", "ldl cholesterol direct", "ldl c direct"),
    _a("non_hdl", "Non-HDL cholesterol", "mass=43396-1 moles=70204-3", "non hdl cholesterol",
       "non hdl", "non hdl c", "nonhdl cholesterol", "cholesterol non hdl"),
    _a("trig", "Triglycerides", "mass=2571-8 moles=14927-8", "triglycerides", "triglyceride",
       "trig", "trigs", "tg"),
    _a("vldl", "VLDL cholesterol", "mass=13458-5", "vldl", "vldl cholesterol"),
    _a("chol_hdl_ratio", "Cholesterol/HDL ratio", "ratio=9830-1", "cholesterol hdl ratio",
       "chol hdl ratio", "total cholesterol hdl ratio", "tc hdl ratio", "chol hdl"),
    _a("apob", "Apolipoprotein B", "mass=1884-6", "apolipoprotein b", "apo b"),
    _a("lpa", "Lipoprotein(a)", "mass=10835-7 moles=43583-4", "lipoprotein a", "lp a"),
    _a("alt", "Alanine aminotransferase (ALT)", "catalytic=1742-6", "alt", "sgpt", "alt sgpt",
       "alanine aminotransferase", "alanine transaminase"),
    _a("ast", "Aspartate aminotransferase (AST)", "catalytic=1920-8", "ast", "sgot", "ast sgot",
       "aspartate aminotransferase", "aspartate transaminase"),
    _a("alp", "Alkaline phosphatase", "catalytic=6768-6", "alp", "alk phos",
       "alkaline phosphatase", "alkaline phos"),
    _a("ggt", "Gamma glutamyl transferase (GGT)", "catalytic=2324-2", "ggt", "gamma gt",
       "gamma glutamyl transferase", "ggtp", "gamma glutamyltransferase"),
    _a("bili", "Bilirubin, total", "mass=1975-2 moles=14631-6", "bilirubin", "total bilirubin",
       "bilirubin total", "tbil", "t bili"),
    _a("bili_direct", "Bilirubin, direct", "mass=1968-7 moles=14629-0", "direct bilirubin",
       "bilirubin direct", "conjugated bilirubin", "bilirubin conjugated", "dbil"),
    _a("albumin", "Albumin", "mass=1751-7 moles=61151-7", "albumin", "alb", "serum albumin"),
    _a("protein", "Protein, total", "mass=2885-2", "total protein", "protein total", "protein",
       "tp"),
    _a("globulin", "Globulin", "mass=10834-0", "globulin", "globulins"),
    _a("ag_ratio", "Albumin/globulin ratio", "ratio=1759-0", "albumin globulin ratio",
       "a g ratio"),
    _a("ldh", "Lactate dehydrogenase (LDH)", "catalytic=2532-0", "ldh", "ld",
       "lactate dehydrogenase"),
    _a("amylase", "Amylase", "catalytic=1798-8", "amylase"),
    _a("lipase", "Lipase", "catalytic=3040-3", "lipase"),
    _a("ammonia", "Ammonia", "moles=16362-6", "ammonia"),
    _a("ntprobnp", "NT-proBNP", "mass=33762-6", "nt probnp", "ntprobnp", "n terminal pro bnp",
       "nt pro bnp", "pro bnp"),
    _a("bnp", "BNP", "mass=30934-4", "bnp", "b type natriuretic peptide"),
    _a("trop_i", "Troponin I", "mass=10839-9", "troponin i", "tni", "ctni", "trop i"),
    _a("hs_trop_i", "Troponin I, high sensitivity", "mass=89579-7", "hs troponin i",
       "high sensitivity troponin i", "hs tni", "hs ctni"),
    _a("trop_t", "Troponin T", "mass=6598-7", "troponin t", "tnt", "ctnt"),
    _a("hs_trop_t", "Troponin T, high sensitivity", "mass=67151-1", "hs troponin t",
       "high sensitivity troponin t", "hs tnt", "hs ctnt"),
    _a("ck", "Creatine kinase (CK)", "catalytic=2157-6", "ck", "cpk", "creatine kinase",
       "creatine phosphokinase", "ck total"),
    _a("hgb", "Hemoglobin", "mass=718-7", "hemoglobin", "hb", "hgb", "haemoglobin"),
    _a("hct", "Hematocrit", "fraction=4544-3", "hematocrit", "hct", "pcv", "packed cell volume",
       "haematocrit"),
    _a("wbc", "Leukocytes (WBC count)", "count=6690-2", "wbc", "white blood cell count",
       "white cell count", "white blood cells", "leukocytes", "wcc", "white count", "leucocytes",
       "wbc count", "total white cell count"),
    _a("rbc", "Erythrocytes (RBC count)", "count=789-8", "rbc", "red blood cell count",
       "red cell count", "red blood cells", "erythrocytes", "rcc", "rbc count"),
    _a("plt", "Platelets", "count=777-3", "platelets", "platelet count", "plt", "plts",
       "platelet"),
    _a("mcv", "MCV", "volume=787-2", "mcv", "mean corpuscular volume", "mean cell volume"),
    _a("mch", "MCH", "mass=785-6", "mch", "mean corpuscular hemoglobin", "mean cell hemoglobin"),
    _a("mchc", "MCHC", "mass=786-4", "mchc", "mean corpuscular hemoglobin concentration",
       "mean cell hemoglobin concentration"),
    _a("rdw", "RDW", "fraction=788-0", "rdw", "red cell distribution width", "rdw cv"),
    _a("mpv", "MPV", "volume=32623-1", "mpv", "mean platelet volume"),
    _a("neut", "Neutrophils", "count=751-8 fraction=770-8", "neutrophils", "neut", "neutrophil",
       "absolute neutrophils", "neutrophils absolute", "anc", "neutrophil count"),
    _a("lymph", "Lymphocytes", "count=731-0 fraction=736-9", "lymphocytes", "lymph", "lymphs",
       "absolute lymphocytes", "lymphocyte count"),
    _a("mono", "Monocytes", "count=742-7 fraction=5905-5", "monocytes", "mono", "monos",
       "absolute monocytes", "monocyte count"),
    _a("eos", "Eosinophils", "count=711-2 fraction=713-8", "eosinophils", "eos",
       "absolute eosinophils", "eosinophil count"),
    _a("baso", "Basophils", "count=704-7 fraction=706-2", "basophils", "baso", "basos",
       "absolute basophils", "basophil count"),
    _a("retic", "Reticulocytes", "fraction=4679-7 count=60474-4", "reticulocytes", "retic",
       "reticulocyte count"),
    _a("esr", "Erythrocyte sedimentation rate", "rate=4537-7", "esr", "sed rate",
       "erythrocyte sedimentation rate"),
    _a("inr", "INR", "ratio=6301-6", "inr", "pt inr", "international normalized ratio", "inr pt"),
    _a("pt", "Prothrombin time", "time=5902-2", "pt", "prothrombin time", "protime"),
    _a("aptt", "aPTT", "time=3173-2", "aptt", "ptt", "activated partial thromboplastin time",
       "partial thromboplastin time"),
    _a("fibrinogen", "Fibrinogen", "mass=3255-7", "fibrinogen"),
    _a("ddimer", "D-dimer", "mass=48065-7", "d dimer", "ddimer"),
    _a("ferritin", "Ferritin", "mass=2276-4", "ferritin", "serum ferritin"),
    _a("iron", "Iron", "mass=2498-4 moles=14798-3", "iron", "serum iron", "fe"),
    _a("tibc", "Iron binding capacity (TIBC)", "mass=2500-7 moles=14800-7", "tibc",
       "total iron binding capacity", "iron binding capacity"),
    _a("tsat", "Transferrin saturation", "fraction=2502-3", "transferrin saturation",
       "iron saturation", "tsat", "percent saturation"),
    _a("transferrin", "Transferrin", "mass=3034-6", "transferrin"),
    _a("b12", "Vitamin B12", "mass=2132-9 moles=14685-2", "vitamin b12", "b12", "cobalamin",
       "cyanocobalamin"),
    _a("folate", "Folate", "mass=2284-8 moles=14732-2", "folate", "folic acid", "serum folate"),
    _a("vitd", "25-hydroxyvitamin D (D2+D3)", "mass=1989-3 moles=14635-7", "vitamin d",
       "25 oh vitamin d", "vitamin d 25 oh", "25 hydroxyvitamin d", "vitamin d 25 oh total",
       "25 oh d", "vitamin d total", "25 hydroxy vitamin d", "calcidiol", "vitamin d 25 hydroxy"),
    _a("homocysteine", "Homocysteine", "moles=13965-9", "homocysteine"),
    _a("tsh", "Thyrotropin (TSH)", "arbitrary=3016-3", "tsh", "thyroid stimulating hormone",
       "thyrotropin"),
    _a("ft4", "Free thyroxine (free T4)", "mass=3024-7 moles=14920-3", "free t4", "t4 free", "ft4",
       "free thyroxine", "thyroxine free"),
    _a("ft3", "Free triiodothyronine (free T3)", "mass=3051-0 moles=14928-6", "free t3", "t3 free",
       "ft3", "free triiodothyronine"),
    _a("t4", "Thyroxine (T4), total", "mass=3026-2 moles=14921-1", "t4", "total t4", "thyroxine",
       "t4 total"),
    _a("pth", "Parathyroid hormone (PTH)", "mass=2731-8 moles=14866-8", "pth",
       "parathyroid hormone", "intact pth", "pth intact"),
    _a("cortisol", "Cortisol", "mass=2143-6 moles=14675-3", "cortisol", "am cortisol"),
    _a("testosterone", "Testosterone", "mass=2986-8 moles=14913-8", "testosterone",
       "total testosterone"),
    _a("estradiol", "Estradiol", "mass=2243-4 moles=14715-7", "estradiol", "oestradiol", "e2"),
    _a("fsh", "FSH", "arbitrary=15067-2", "fsh", "follicle stimulating hormone"),
    _a("lh", "LH", "arbitrary=10501-5", "lh", "luteinizing hormone", "luteinising hormone"),
    _a("prolactin", "Prolactin", "mass=2842-3", "prolactin"),
    _a("hcg", "hCG", "arbitrary=21198-7", "hcg", "beta hcg", "b hcg"),
    _a("psa", "Prostate specific antigen (PSA)", "mass=2857-1", "psa", "prostate specific antigen",
       "total psa", "psa total"),
    _a("crp", "C-reactive protein (CRP)", "mass=1988-5", "crp", "c reactive protein"),
    _a("hscrp", "hs-CRP", "mass=30522-7", "hs crp", "high sensitivity crp", "hscrp",
       "cardiac crp"),
    _a("procalcitonin", "Procalcitonin", "mass=33959-8", "procalcitonin", "pct"),
    _a("lactate", "Lactate", "moles=2524-7", "lactate", "lactic acid"),
    _a("lithium", "Lithium", "moles=14334-7", "lithium"),
    _a("digoxin", "Digoxin", "mass=10535-3", "digoxin"),
    _a("vanc_trough", "Vancomycin trough", "mass=4092-3", "vancomycin trough", "vancomycin"),
    _a("uacr", "Albumin/creatinine ratio, urine", "ratio=9318-7", "albumin creatinine ratio",
       "uacr", "acr", "urine albumin creatinine ratio", "microalbumin creatinine ratio",
       "urine acr", "albumin creatinine ratio urine"),
    _a("u_albumin", "Albumin, urine", "mass=14957-5", "urine albumin", "microalbumin",
       "urine microalbumin", "albumin urine"),
    _a("upcr", "Protein/creatinine ratio, urine", "ratio=2890-2", "protein creatinine ratio",
       "upcr", "pcr", "urine protein creatinine ratio"),
    _a("u_creat", "Creatinine, urine", "mass=2161-8 moles=14683-7", "urine creatinine",
       "creatinine urine"),
    _a("u_sodium", "Sodium, urine", "moles=2955-3", "urine sodium", "sodium urine"),
    _a("u_sg", "Specific gravity, urine", "number=5811-5", "specific gravity",
       "urine specific gravity", "sg"),
    _a("u_ph", "pH, urine", "number=5803-2", "urine ph"),
    _a("ph", "pH, arterial", "number=2744-1", "ph", "arterial ph"),
    _a("pco2", "pCO2, arterial", "pressure=2019-8", "pco2", "paco2"),
    _a("po2", "pO2, arterial", "pressure=2703-7", "po2", "pao2"),
)
# fmt: on


def _normalise(name: str) -> str:
    text = name.lower()
    # British and American spellings print the same analyte.
    text = text.replace("haem", "hem").replace("oest", "est").replace("leuc", "leuk")
    text = text.replace("µ", "u")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


_NOISE = {
    "serum",
    "plasma",
    "blood",
    "s",
    "p",
    "b",
    "level",
    "result",
    "ia",
    "lc",
    "ms",
    "quant",
    "quantitative",
    "calc",
    "calculated",
    "est",
    "estimated",
}


def _index() -> dict[str, Analyte]:
    table: dict[str, Analyte] = {}
    for analyte in ANALYTES:
        for name in analyte.synonyms:
            table.setdefault(_normalise(name), analyte)
    return table


_BY_NAME = _index()
_MAX_WORDS = max(len(k.split()) for k in _BY_NAME)


def find_analyte(name: str) -> Analyte | None:
    """The analyte a printed name stands for, or None when it is not in the table.

    Exact names first (after folding case, punctuation and spelling); then the longest known
    name made of the printed name's words, ignoring specimen and method words, so
    "VITAMIN D,25-OH,TOTAL,IA" and "LDL CHOLESTEROL (CALC)" resolve but "CHOLESTEROL" never
    swallows "HDL CHOLESTEROL".
    """
    found = match_analyte(name)
    return found[0] if found else None


def match_analyte(name: str) -> tuple[Analyte, frozenset[str]] | None:
    """`find_analyte`, with the words of the known name that matched."""
    norm = _normalise(name)
    if not norm:
        return None
    hit = _BY_NAME.get(norm)
    if hit is not None:
        return hit, frozenset(norm.split())
    words = [w for w in norm.split() if w not in _NOISE]
    key = " ".join(words)
    hit = _BY_NAME.get(key)
    if hit is not None:
        return hit, frozenset(words) | _NOISE
    if "direct" in words and "ldl" in words:
        return _BY_NAME["ldl direct"], frozenset(words)
    wordset = set(norm.split())
    best: tuple[Analyte, frozenset[str]] | None = None
    best_len = 0
    for known, analyte in _BY_NAME.items():
        parts = known.split()
        if len(parts) > best_len and set(parts) <= wordset:
            best, best_len = (analyte, frozenset(parts) | _NOISE), len(parts)
    # Most of the printed words must be explained by the name: "HDL" alone does not make
    # "HDL REMNANT PARTICLE SIZE" an HDL cholesterol.
    if best is not None and best_len * 2 >= len(words):
        return best
    return None


def normalise_name(name: str) -> str:
    """The folded form names are compared in (lower case, plain words, American spelling)."""
    return _normalise(name)


def is_known(code: str) -> bool:
    """Whether a LOINC code is one of the table's."""
    return any(code in a.all_codes for a in ANALYTES)
