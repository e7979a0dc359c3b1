"""Why an imaging upload or request is refused: each a 4xx with its own code, never a 500.

An upload that fails any of these leaves nothing behind: no rows and no stored files.
"""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class ImagingError(ClinscribeError):
    """Base of imaging errors: the input cannot be taken as DICOM."""

    status_code = 400
    code = "imaging_invalid"


class NotDicomError(ImagingError):
    """A file is not a DICOM Part 10 file (no DICM preamble, or not parseable as one)."""

    status_code = 415
    code = "not_dicom"


class TruncatedDicomError(ImagingError):
    """A DICOM file ends before its pixel or waveform data does."""

    status_code = 422
    code = "dicom_truncated"


class MalformedDicomError(ImagingError):
    """A DICOM file's elements or sequences do not parse (bad lengths, broken items)."""

    status_code = 422
    code = "dicom_malformed"


class NotAnInstanceError(ImagingError):
    """A DICOM file holds no composite instance (a DICOMDIR, for instance)."""

    status_code = 422
    code = "dicom_not_instance"


class UnsafeArchiveError(ImagingError):
    """A zip whose member names leave the archive, or that is not a readable zip."""

    status_code = 422
    code = "zip_unsafe"


class ArchiveTooLargeError(ImagingError):
    """A zip with too many members or more uncompressed bytes than allowed."""

    status_code = 413
    code = "zip_too_large"


class EmptyUploadError(ImagingError):
    """The upload holds no DICOM instance at all."""

    status_code = 422
    code = "no_dicom_instances"


class PreviewUnavailableError(ImagingError):
    """The instance has no image this server can decode (compressed syntax, waveform, ...)."""

    status_code = 415
    code = "preview_unavailable"


class BadFrameError(ImagingError):
    """The frame number is outside the instance's frames."""

    status_code = 422
    code = "frame_out_of_range"
