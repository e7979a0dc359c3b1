"""Units as printed -> UCUM codes, and conversion between the common unit pairs.

Labs print the same unit many ways ("x10E9/L", "10^9/L", "G/L"; "umol/L", "µmol/l"); FHIR wants
the UCUM code. Conversions between mass and substance concentration need the analyte's molar
mass, so `convert` takes the analyte key of the LOINC table.
"""

from __future__ import annotations

import re

from clinscribe.errors import Unprocessable


class UnitConversionError(Unprocessable):
    """Two units cannot be converted into each other for this analyte."""

    status_code = 422
    code = "unit_conversion_invalid"


# Printed spelling (folded: lower case, no spaces, µ/μ -> u, ^ and E exponents as *) -> UCUM.
_UCUM: dict[str, str] = {
    "mg/dl": "mg/dL",
    "g/dl": "g/dL",
    "g/l": "g/L",
    "mg/l": "mg/L",
    "ug/dl": "ug/dL",
    "mcg/dl": "ug/dL",
    "ug/l": "ug/L",
    "mcg/l": "ug/L",
    "ng/ml": "ng/mL",
    "ng/dl": "ng/dL",
    "ng/l": "ng/L",
    "pg/ml": "pg/mL",
    "ug/ml": "ug/mL",
    "mcg/ml": "ug/mL",
    "mg/ml": "mg/mL",
    "mmol/l": "mmol/L",
    "umol/l": "umol/L",
    "nmol/l": "nmol/L",
    "pmol/l": "pmol/L",
    "mol/l": "mol/L",
    "meq/l": "meq/L",
    "mmol/mol": "mmol/mol",
    "u/l": "U/L",
    "iu/l": "U/L",
    "units/l": "U/L",
    "ukat/l": "ukat/L",
    "miu/l": "m[IU]/L",
    "mu/l": "m[IU]/L",
    "miu/ml": "m[IU]/mL",
    "uiu/ml": "u[IU]/mL",
    "iu/ml": "[IU]/mL",
    "u/ml": "U/mL",
    "uu/ml": "u[IU]/mL",
    "iu/l(tsh)": "m[IU]/L",
    "%": "%",
    "percent": "%",
    "%oftotalhgb": "%",
    "%hb": "%",
    "fl": "fL",
    "pg": "pg",
    "10*9/l": "10*9/L",
    "x10*9/l": "10*9/L",
    "g/l(cells)": "10*9/L",
    "10*12/l": "10*12/L",
    "x10*12/l": "10*12/L",
    "10*3/ul": "10*3/uL",
    "x10*3/ul": "10*3/uL",
    "thousand/ul": "10*3/uL",
    "k/ul": "10*3/uL",
    "k/mcl": "10*3/uL",
    "10*3/mcl": "10*3/uL",
    "x10*3/mcl": "10*3/uL",
    "k/mm3": "10*3/uL",
    "10*6/ul": "10*6/uL",
    "x10*6/ul": "10*6/uL",
    "million/ul": "10*6/uL",
    "m/ul": "10*6/uL",
    "m/mcl": "10*6/uL",
    "10*6/mcl": "10*6/uL",
    "x10*6/mcl": "10*6/uL",
    "ml/min/1.73m2": "mL/min/{1.73_m2}",
    "ml/min/1.73m*2": "mL/min/{1.73_m2}",
    "ml/min/1.73m²": "mL/min/{1.73_m2}",
    "ml/min/1,73m2": "mL/min/{1.73_m2}",
    "ml/min": "mL/min",
    "mm/h": "mm/h",
    "mm/hr": "mm/h",
    "mm/1hr": "mm/h",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "ratio": "{ratio}",
    "mg/g": "mg/g",
    "mg/gcreat": "mg/g",
    "mg/mmol": "mg/mmol",
    "mg/mmolcreat": "mg/mmol",
    "mosm/kg": "mosm/kg",
    "mmhg": "mm[Hg]",
    "kpa": "kPa",
    # What OCR makes of the common units (l/I and u/µ confusions): still the same unit.
    "mlu/l": "m[IU]/L",
    "miu/i": "m[IU]/L",
    "umoi/l": "umol/L",
    "mmoi/l": "mmol/L",
    "mg/di": "mg/dL",
    "g/di": "g/dL",
    "ng/mi": "ng/mL",
    "pg/mi": "pg/mL",
}


def _fold(printed: str) -> str:
    text = printed.strip().lower().replace("µ", "u").replace("μ", "u").replace("×", "x")  # noqa: RUF001
    text = re.sub(r"\((calc|calculated|est)\)", "", text)
    text = text.replace(" ", "")
    # 10^9, 10E9, 10e9, 10**9, superscript digits: all the same exponent.
    text = text.replace("⁹", "*9").replace("¹²", "*12").replace("³", "*3").replace("⁶", "*6")
    text = re.sub(r"10(?:\^|e|\*\*)(\d+)", r"10*\1", text)
    return text


def to_ucum(printed: str | None) -> str | None:
    """The UCUM code of a printed unit, or None when it is not one we know."""
    if not printed:
        return None
    folded = _fold(printed)
    return _UCUM.get(folded) or _UCUM.get(folded.rstrip("."))


# UCUM -> (property, factor to the base of that property: g/L, mol/L, /L, ...)
_SCALE: dict[str, tuple[str, float]] = {
    "g/L": ("mass", 1.0),
    "g/dL": ("mass", 10.0),
    "mg/dL": ("mass", 1e-2),
    "mg/L": ("mass", 1e-3),
    "mg/mL": ("mass", 1.0),
    "ug/dL": ("mass", 1e-5),
    "ug/L": ("mass", 1e-6),
    "ug/mL": ("mass", 1e-3),
    "ng/mL": ("mass", 1e-6),
    "ng/dL": ("mass", 1e-8),
    "ng/L": ("mass", 1e-9),
    "pg/mL": ("mass", 1e-9),
    "mol/L": ("moles", 1.0),
    "mmol/L": ("moles", 1e-3),
    "umol/L": ("moles", 1e-6),
    "nmol/L": ("moles", 1e-9),
    "pmol/L": ("moles", 1e-12),
    "meq/L": ("moles", 1e-3),
    "10*9/L": ("count", 1e9),
    "10*12/L": ("count", 1e12),
    "10*3/uL": ("count", 1e9),
    "10*6/uL": ("count", 1e12),
    "U/L": ("catalytic", 1.0),
    "ukat/L": ("catalytic", 60.0),
    "m[IU]/L": ("arbitrary", 1.0),
    "u[IU]/mL": ("arbitrary", 1.0),
    "m[IU]/mL": ("arbitrary", 1e3),
    "[IU]/mL": ("arbitrary", 1e6),
    "U/mL": ("arbitrary", 1e3),
    "%": ("fraction", 1.0),
    "mmol/mol": ("ratio", 1.0),
    "fL": ("volume", 1.0),
    "mL/min/{1.73_m2}": ("rate", 1.0),
    "mm/h": ("rate", 1.0),
    "s": ("time", 1.0),
    "{ratio}": ("ratio", 1.0),
    "mg/g": ("ratio", 1.0),
    "mg/mmol": ("ratio", 1.0),
    "mosm/kg": ("osmolality", 1.0),
    "mm[Hg]": ("pressure", 1.0),
    "kPa": ("pressure", 7.50062),
    "pg": ("entity_mass", 1.0),
}


def unit_property(ucum: str | None) -> str | None:
    """The kind of quantity a UCUM unit measures (mass, moles, count, fraction, ...)."""
    if ucum is None:
        return None
    entry = _SCALE.get(ucum)
    return entry[0] if entry else None


# g/mol of what the mass unit weighs: cholesterol for every lipoprotein cholesterol, urea's
# nitrogen (2 x 14.007) for BUN, phosphorus for phosphate.
MOLAR_MASS: dict[str, float] = {
    "glucose": 180.16,
    "glucose_fasting": 180.16,
    "chol": 386.65,
    "hdl": 386.65,
    "ldl": 386.65,
    "ldl_direct": 386.65,
    "non_hdl": 386.65,
    "vldl": 386.65,
    "trig": 885.7,
    "creatinine": 113.12,
    "u_creat": 113.12,
    "urea": 60.06,
    "bun": 28.014,
    "calcium": 40.078,
    "calcium_corr": 40.078,
    "calcium_ion": 40.078,
    "magnesium": 24.305,
    "phosphate": 30.974,
    "urate": 168.11,
    "bili": 584.66,
    "bili_direct": 584.66,
    "iron": 55.845,
    "tibc": 55.845,
    "vitd": 400.64,
    "ft4": 776.87,
    "t4": 776.87,
    "ft3": 650.97,
    "b12": 1355.37,
    "folate": 441.4,
    "cortisol": 362.46,
    "testosterone": 288.42,
    "estradiol": 272.38,
}


def convert(value: float, from_ucum: str, to_ucum: str, analyte: str | None = None) -> float:
    """`value` in `from_ucum` expressed in `to_ucum` (mass <-> moles needs the analyte key)."""
    if from_ucum == to_ucum:
        return value
    if analyte == "hba1c" and {from_ucum, to_ucum} == {"%", "mmol/mol"}:
        # The IFCC-NGSP master equation.
        if from_ucum == "%":
            return (value - 2.15) * 10.929
        return value / 10.929 + 2.15
    src, dst = _SCALE.get(from_ucum), _SCALE.get(to_ucum)
    if src is None or dst is None:
        raise UnitConversionError(f"cannot convert {from_ucum} to {to_ucum}")
    base = value * src[1]
    if src[0] == dst[0]:
        return base / dst[1]
    mass = MOLAR_MASS.get(analyte or "")
    if mass is not None and {src[0], dst[0]} == {"mass", "moles"}:
        base = base / mass if src[0] == "mass" else base * mass
        return base / dst[1]
    raise UnitConversionError(f"cannot convert {from_ucum} to {to_ucum} for {analyte or 'this'}")
