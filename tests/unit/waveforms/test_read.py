"""Readers: pydicom's 12-lead ECG sample, WFDB records (files or zip), and what they refuse."""

from __future__ import annotations

import numpy as np
import pytest

from clinscribe.waveforms.core import read
from clinscribe.waveforms.core.errors import (
    NotAWaveformError,
    SamplingRateError,
    SignalFileMissingError,
    SignalLengthMismatchError,
    WaveformTooLargeError,
    WaveformUnreadableError,
)
from clinscribe.waveforms.core.recording import Recording, checked, from_bytes, lead_name, to_bytes
from tests.unit.waveforms import samples

LIMIT = 10_000_000


def test_the_dicom_ecg_sample_reads_as_twelve_named_leads_in_millivolts() -> None:
    recording = read.read_upload([("ecg.dcm", samples.dicom_bytes())], max_bytes=LIMIT)
    assert recording.leads == (
        "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
    )  # fmt: skip
    assert recording.sampling_rate == 1000.0
    assert recording.samples == 10_000 and recording.duration == 10.0
    # Stored as 16-bit counts at 1.25 uV each: the largest R wave is about 2 mV, not 1600.
    assert 1.0 < float(recording.signals.max()) < 3.0
    assert recording.source_format == "dicom"


def test_the_device_measurements_in_the_dicom_annotations_are_read() -> None:
    recording = read.from_dicom(samples.dataset())
    assert recording.device_measurements == {
        "rr_ms": 982.0,
        "pr_ms": 161.0,
        "qrs_ms": 75.0,
        "qt_ms": 368.0,
        "qtc_ms": 370.0,
        "heart_rate": 61.1,
    }


def test_from_dicom_takes_the_rhythm_group_not_the_median_beat() -> None:
    ds = samples.dataset()
    assert [g.MultiplexGroupLabel for g in ds.WaveformSequence] == ["RHYTHM", "MEDIAN BEAT"]
    assert read.from_dicom(ds).samples == 10_000


def test_a_wfdb_record_reads_back_the_signal_it_was_written_with() -> None:
    signal = samples.simulated(72)
    files = samples.wfdb_files(np.stack([signal, -signal], axis=1), 500, ("MLII", "V1"))
    recording = read.read_upload(files, max_bytes=LIMIT)
    assert recording.leads == ("MLII", "V1") and recording.sampling_rate == 500.0
    assert recording.signals.shape == (5000, 2)
    assert np.allclose(recording.signals[:, 0], signal, atol=1e-3)


def test_a_zip_of_a_wfdb_record_reads_the_same_as_its_files() -> None:
    files = samples.wfdb_files(samples.simulated(72), 500)
    direct = read.read_upload(files, max_bytes=LIMIT)
    unzipped = read.read_upload([("ecg.zip", samples.zipped(files))], max_bytes=LIMIT)
    assert np.array_equal(direct.signals, unzipped.signals)


def test_lead_labels_are_normalised_to_their_usual_names() -> None:
    assert lead_name("Lead I (Einthoven)") == "I"
    assert lead_name("Lead aVR") == "aVR"
    assert lead_name("AVF") == "aVF"
    assert lead_name("v5") == "V5"
    assert lead_name("MLII") == "MLII"


def test_an_image_dicom_is_not_a_waveform() -> None:
    with pytest.raises(NotAWaveformError) as caught:
        read.read_upload([("ct.dcm", samples.image_dicom_bytes())], max_bytes=LIMIT)
    assert caught.value.code == "not_a_waveform" and caught.value.status_code == 422


def test_a_truncated_dicom_ecg_is_unreadable() -> None:
    data = samples.dicom_bytes()
    with pytest.raises(WaveformUnreadableError):
        read.read_upload([("ecg.dcm", data[: len(data) // 2])], max_bytes=LIMIT)


def test_a_wfdb_header_without_its_signal_file_is_refused() -> None:
    files = [f for f in samples.wfdb_files(samples.simulated(72), 500) if f[0].endswith(".hea")]
    with pytest.raises(SignalFileMissingError):
        read.read_upload(files, max_bytes=LIMIT)


def test_a_signal_file_shorter_than_its_header_says_is_refused() -> None:
    files = [
        (n, d[:-400] if n.endswith(".dat") else d)
        for n, d in samples.wfdb_files(samples.simulated(72), 500)
    ]
    with pytest.raises(SignalLengthMismatchError):
        read.read_upload(files, max_bytes=LIMIT)


def test_a_header_may_not_name_a_signal_file_outside_the_upload() -> None:
    files = samples.header_with(
        samples.wfdb_files(samples.simulated(72), 500), "ecg100.dat", "../../etc/ecg100.dat"
    )
    with pytest.raises((SignalFileMissingError, WaveformUnreadableError)):
        read.read_upload(files, max_bytes=LIMIT)


def test_an_absurd_sampling_rate_is_refused() -> None:
    files = samples.header_with(samples.wfdb_files(samples.simulated(72), 500), " 500 ", " 2 ")
    recording = read.read_upload(files, max_bytes=LIMIT)
    with pytest.raises(SamplingRateError) as caught:
        checked(recording, max_seconds=300)
    assert caught.value.code == "waveform_bad_sampling_rate"


def test_a_recording_longer_than_the_limit_is_refused() -> None:
    recording = Recording(("II",), 500.0, np.zeros((500 * 20, 1)), "wfdb")
    with pytest.raises(WaveformTooLargeError):
        checked(recording, max_seconds=10)


def test_a_zip_whose_contents_exceed_the_limit_is_refused_before_inflating() -> None:
    files = samples.wfdb_files(samples.simulated(72), 500)
    with pytest.raises(WaveformTooLargeError):
        read.read_upload([("ecg.zip", samples.zipped(files))], max_bytes=5000)


def test_files_that_are_neither_dicom_nor_wfdb_are_unreadable() -> None:
    with pytest.raises(WaveformUnreadableError):
        read.read_upload([("notes.txt", b"hello")], max_bytes=LIMIT)
    with pytest.raises(WaveformUnreadableError):
        read.read_upload([("empty.dcm", b"")], max_bytes=LIMIT)


def test_a_stored_signal_round_trips() -> None:
    recording = read.read_upload([("ecg.dcm", samples.dicom_bytes())], max_bytes=LIMIT)
    back = from_bytes(
        to_bytes(recording), leads=recording.leads, sampling_rate=1000.0, source_format="dicom"
    )
    assert np.allclose(back.signals, recording.signals, atol=1e-6)
    with pytest.raises(WaveformUnreadableError):
        from_bytes(b"junk", leads=("II",), sampling_rate=500.0, source_format="wfdb")


def test_a_general_ecg_without_group_labels_takes_its_longest_group_in_its_units() -> None:
    ds = samples.dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.9.1.2"  # General ECG Waveform Storage
    for group in ds.WaveformSequence:
        del group.MultiplexGroupLabel
        for channel in group.ChannelDefinitionSequence:
            channel.ChannelSensitivityUnitsSequence[0].CodeValue = "mV"
    del ds.WaveformAnnotationSequence
    recording = read.from_dicom(ds)
    assert recording.samples == 10_000 and recording.device_measurements == {}
    # The same counts read as millivolts are a thousand times the microvolt reading.
    assert np.allclose(recording.signals, read.from_dicom(samples.dataset()).signals * 1000)
