"""A note's vital signs as the columns of OpenEMR's `form_vitals`, in OpenEMR's units (pure).

OpenEMR stores weight in lb, height in in and temperature in °F (`form_vitals` DECIMAL columns),
blood pressure as two varchar columns and SpO2 in %. Our vitals carry UCUM units; metric ones
are converted. The first reading of each kind is kept (a note's vitals form is one set).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

_LB_PER_KG = 2.2046226218
_CM_PER_IN = 2.54


class VitalLike(Protocol):
    """A reading as the NLP stage extracts it (type, UCUM unit, value or BP pair)."""

    @property
    def type(self) -> str: ...
    @property
    def value(self) -> int | float | None: ...
    @property
    def systolic(self) -> int | None: ...
    @property
    def diastolic(self) -> int | None: ...
    @property
    def unit(self) -> str: ...


@dataclass(frozen=True)
class VitalsForm:
    """The `form_vitals` values this note sets; None leaves OpenEMR's column default."""

    bps: str | None = None
    bpd: str | None = None
    weight: float | None = None
    height: float | None = None
    temperature: float | None = None
    pulse: float | None = None
    respiration: float | None = None
    oxygen_saturation: float | None = None
    bmi: float | None = None

    def columns(self) -> dict[str, str | float]:
        """Column name -> value for the columns that are set (`BMI` as OpenEMR spells it)."""
        out: dict[str, str | float] = {}
        for key, value in asdict(self).items():
            if value is not None:
                out["BMI" if key == "bmi" else key] = value
        return out

    def digest(self) -> str:
        """A stable hash of the values, so an amendment with the same vitals writes no new form."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def _pounds(value: float, unit: str) -> float | None:
    if unit == "[lb_av]":
        return round(value, 2)
    if unit == "kg":
        return round(value * _LB_PER_KG, 2)
    return None


def _inches(value: float, unit: str) -> float | None:
    if unit == "[in_i]":
        return round(value, 2)
    if unit == "cm":
        return round(value / _CM_PER_IN, 2)
    if unit == "m":
        return round(value * 100 / _CM_PER_IN, 2)
    return None


def _fahrenheit(value: float, unit: str) -> float | None:
    if unit == "[degF]":
        return round(value, 1)
    if unit == "Cel":
        return round(value * 9 / 5 + 32, 1)
    return None


def _convert(vital: VitalLike) -> dict[str, str | float]:
    if vital.type == "blood_pressure":
        if vital.systolic is None or vital.diastolic is None:
            return {}
        return {"bps": str(vital.systolic), "bpd": str(vital.diastolic)}
    if vital.value is None:
        return {}
    value = float(vital.value)
    converted: float | None
    match vital.type:
        case "weight":
            converted, column = _pounds(value, vital.unit), "weight"
        case "height":
            converted, column = _inches(value, vital.unit), "height"
        case "temperature":
            converted, column = _fahrenheit(value, vital.unit), "temperature"
        case "heart_rate":
            converted, column = value, "pulse"
        case "respiratory_rate":
            converted, column = value, "respiration"
        case "oxygen_saturation":
            converted, column = value, "oxygen_saturation"
        case "bmi":
            converted, column = round(value, 1), "bmi"
        case _:  # glucose and anything new: form_vitals has no column for it
            return {}
    return {} if converted is None else {column: converted}


def vitals_form(vitals: Iterable[VitalLike]) -> VitalsForm | None:
    """The vitals form for these readings, or None when none maps to a `form_vitals` column."""
    values: dict[str, str | float] = {}
    for vital in vitals:
        for column, value in _convert(vital).items():
            values.setdefault(column, value)
    if not values:
        return None
    return VitalsForm(**values)  # type: ignore[arg-type]
