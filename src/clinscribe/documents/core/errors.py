"""Why a document cannot be read: each a 4xx with its own code, never a 500.

A client that uploads a locked, damaged, hostile or unsupported file learns exactly which, and
nothing of it is ingested.
"""

from __future__ import annotations

from clinscribe.errors import ClinscribeError


class DocumentError(ClinscribeError):
    """Base of document intake errors: the file cannot be read as a clinical document."""

    status_code = 400
    code = "document_invalid"


class EmptyDocumentError(DocumentError):
    """The upload has no bytes, or no pages."""

    status_code = 400
    code = "document_empty"


class UnsupportedDocumentError(DocumentError):
    """The bytes are none of PDF, PNG, JPEG, TIFF or plain text (whatever the name claims)."""

    status_code = 415
    code = "document_unsupported_type"


class DocumentTooLargeError(DocumentError):
    """The file is larger than the configured limit."""

    status_code = 413
    code = "document_too_large"


class TooManyPagesError(DocumentError):
    """The document has more pages than the configured limit."""

    status_code = 413
    code = "document_too_many_pages"


class DecompressionBombError(DocumentError):
    """The file expands far beyond its size (compressed streams or pixel counts): refused."""

    status_code = 413
    code = "document_decompression_bomb"


class EncryptedDocumentError(DocumentError):
    """The PDF needs a password to open."""

    status_code = 422
    code = "document_encrypted"


class CorruptDocumentError(DocumentError):
    """The file claims a supported type but its structure is damaged."""

    status_code = 422
    code = "document_corrupt"


class OcrUnavailableError(DocumentError):
    """A page needs OCR but the OCR engine is not installed or failed to run."""

    status_code = 503
    code = "ocr_unavailable"
