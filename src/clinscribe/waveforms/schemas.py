"""Waveform shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MeasurementRead(BaseModel):
    key: str = Field(
        description="heart_rate, rr_ms, sdnn_ms, rmssd_ms, pr_ms, qrs_ms, qt_ms, qtc_ms"
    )
    code: str | None = Field(description="LOINC code (none for RMSSD)")
    display: str
    unit: str = Field(description="UCUM unit")
    value: float | None = Field(description="Measured by NeuroKit2 (absent when not measurable)")
    device_value: float | None = Field(description="What the recording device reported, if any")


class WaveformRead(BaseModel):
    id: str
    patient_id: str
    source: str
    format: str = Field(description="dicom or wfdb")
    leads: list[str]
    sampling_rate: float = Field(description="Hz")
    samples: int
    duration: float = Field(description="seconds")
    acquired_at: datetime | None
    created_at: datetime
    measurements: list[MeasurementRead]
    strip_svg: str
    strip_png: str


class WaveformDetail(WaveformRead):
    analysis_lead: str | None
    method: str
    observation_ids: list[str] = Field(description="Record observations filed from it (proposed)")
