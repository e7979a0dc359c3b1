"""What an uploaded document is, judged from its bytes, and whether it can be read at all.

The client's Content-Type is only a hint: the pure extractor sniffs the type from the bytes and
opens the file once (type, size, page count, encryption, damage), so a bad file is a clear 4xx
at upload time instead of a failed job later. Limits come from settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinscribe.config import Settings
from clinscribe.documents.core import extract
from clinscribe.documents.core.errors import (
    DocumentTooLargeError,
    EmptyDocumentError,
    TooManyPagesError,
)

_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/tiff": "tiff",
    "text/plain": "txt",
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/tiff")


@dataclass(frozen=True)
class Probe:
    media_type: str
    pages: int


def limits(settings: Settings) -> extract.ExtractLimits:
    return extract.ExtractLimits(
        max_bytes=settings.document_max_bytes,
        max_pages=settings.document_max_pages,
        max_pixels=settings.document_max_pixels,
    )


def extension(media_type: str) -> str:
    return _EXTENSIONS.get(media_type, "bin")


def probe(data: bytes, settings: Settings) -> Probe:
    """Type and page count of a whole document, or a typed DocumentError saying why not."""
    if not data:
        raise EmptyDocumentError("the upload is empty (0 bytes)")
    if len(data) > settings.document_max_bytes:
        raise DocumentTooLargeError(
            f"the document is {len(data)} bytes; the limit is {settings.document_max_bytes}"
        )
    media_type = extract.sniff_media_type(data)
    pages = extract.page_count(data)
    if pages == 0:
        raise EmptyDocumentError("the document has no pages")
    if pages > settings.document_max_pages:
        raise TooManyPagesError(
            f"the document has {pages} pages; the limit is {settings.document_max_pages}"
        )
    return Probe(media_type=media_type, pages=pages)
