"""An ECG recording as FHIR R4: an Observation with one `valueSampledData` component per lead,
and a DocumentReference to its rendered strip (pure: plain values in, JSON out).

Lead codes are IEEE 11073 MDC (MDC_ECG_ELEC_POTL_<lead>), the codes of the FHIR specification's
own ECG example; a lead outside the twelve standard ones carries its name as text only. The
samples are integers in microvolts (`factor` 0.001 on an `origin` of 0 mV), which keeps the
data string short and exact to the stored precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from clinscribe.fhir.core.codes import LOINC, OBSERVATION_CATEGORY, UCUM
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.core.read_resources import instant, ref

MDC = "urn:oid:2.16.840.1.113883.6.24"
EKG_STUDY = ("11524-6", "EKG study")
_MDC_POTENTIAL = ("131328", "MDC_ECG_ELEC_POTL")
MDC_LEADS = {
    "I": "131329",
    "II": "131330",
    "V1": "131331",
    "V2": "131332",
    "V3": "131333",
    "V4": "131334",
    "V5": "131335",
    "V6": "131336",
    "III": "131389",
    "aVR": "131390",
    "aVL": "131391",
    "aVF": "131392",
}


@dataclass(frozen=True)
class WaveformFacts:
    id: str
    patient_id: str
    leads: tuple[str, ...]
    sampling_rate: float
    effective: datetime
    signals: NDArray[np.float64] | None  # (samples, leads) in mV; None: no data component


def _lead_code(name: str) -> JsonDict:
    code = MDC_LEADS.get(name)
    if code is None:
        return {"text": name}
    return {
        "coding": [{"system": MDC, "code": code, "display": f"MDC_ECG_ELEC_POTL_{name}"}],
        "text": name,
    }


def sampled(values: NDArray[np.float64], sampling_rate: float) -> JsonDict:
    """One lead as SampledData: period in ms, microvolt integers scaled to mV."""
    micro = np.rint(values * 1000.0).astype(np.int64)
    return {
        "origin": {"value": 0, "unit": "mV", "system": UCUM, "code": "mV"},
        "period": round(1000.0 / sampling_rate, 6),
        "factor": 0.001,
        "dimensions": 1,
        "data": " ".join(str(int(v)) for v in micro),
    }


def observation(facts: WaveformFacts) -> JsonDict:
    """The recording itself as an Observation (status final, category procedure)."""
    code, display = EKG_STUDY
    resource: JsonDict = {
        "resourceType": "Observation",
        "id": facts.id,
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "procedure"}]}],
        "code": {
            "coding": [
                {"system": LOINC, "code": code, "display": display},
                {"system": MDC, "code": _MDC_POTENTIAL[0], "display": _MDC_POTENTIAL[1]},
            ],
            "text": "ECG",
        },
        "subject": ref("Patient", facts.patient_id),
        "effectiveDateTime": instant(facts.effective),
    }
    if facts.signals is not None:
        resource["component"] = [
            {
                "code": _lead_code(name),
                "valueSampledData": sampled(facts.signals[:, i], facts.sampling_rate),
            }
            for i, name in enumerate(facts.leads)
        ]
    return resource


def strip_reference(facts: WaveformFacts, url: str) -> JsonDict:
    """The rendered strip (PNG) as a DocumentReference whose attachment links to it."""
    code, display = EKG_STUDY
    return {
        "resourceType": "DocumentReference",
        "id": facts.id,
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": ref("Patient", facts.patient_id),
        "date": instant(facts.effective),
        "description": "ECG strip, 25 mm/s, 10 mm/mV",
        "content": [{"attachment": {"contentType": "image/png", "url": url, "title": "ECG strip"}}],
        "context": {"related": [ref("Observation", facts.id)]},
    }
