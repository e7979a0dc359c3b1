"""Why an upload is not a usable waveform: each a 4xx with its own code, never a 500.

Nothing of a refused upload is stored (the service reads and checks everything first).
"""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class WaveformError(ClinscribeError):
    """Base of waveform intake errors: the upload cannot be read as an ECG."""

    status_code = 422
    code = "waveform_invalid"


class NotAWaveformError(WaveformError):
    """A readable DICOM object without waveform data (an image, a report)."""

    status_code = 422
    code = "not_a_waveform"


class WaveformUnreadableError(WaveformError):
    """Truncated or damaged DICOM, or files that are neither DICOM, WFDB nor a zip of them."""

    status_code = 422
    code = "waveform_unreadable"


class SignalFileMissingError(WaveformError):
    """A WFDB header whose signal (.dat) file was not uploaded with it."""

    status_code = 422
    code = "waveform_signal_missing"


class SignalLengthMismatchError(WaveformError):
    """The signal data is shorter or longer than its header or channel count says."""

    status_code = 422
    code = "waveform_length_mismatch"


class SamplingRateError(WaveformError):
    """A sampling rate no ECG device records at (below 50 Hz or above 20 kHz)."""

    status_code = 422
    code = "waveform_bad_sampling_rate"


class WaveformTooLargeError(WaveformError):
    """The upload (or a zip member, or the decoded signal) exceeds the configured limit."""

    status_code = 413
    code = "waveform_too_large"


class UnknownLeadError(WaveformError):
    """A lead filter names a lead the recording does not have."""

    status_code = 422
    code = "unknown_lead"
