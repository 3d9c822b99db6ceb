"""Which extractor reads a file: decided by its bytes first, its name second.

A file named ``.pdf`` that is not one must say so, and a PDF with junk before its header or none
at all is still a PDF if MuPDF can read it; so the content decides, and the extension only breaks
ties.
"""

from __future__ import annotations

from pathlib import PurePath

from ..errors import InvalidInput
from .drawable import bounded_raster, decrypted_copy
from .extracted import SNIFF_BYTES, ExtractedDocument
from .pdf import IMAGE_MIMES, Progress, extract_pdf_document, open_image, open_pdf_authenticated, sniff_image
from .previous import extract_previous, sniff_previous


def _is_pdf(head: bytes, name: str) -> bool:
    return b"%PDF-" in head[:1024] or PurePath(name).suffix.lower() == ".pdf"


def splits_by_page(head: bytes, name: str) -> bool:
    """Whether several readers can share the file page by page (PDFs; not images or text outputs)."""
    return sniff_image(head) is None and _is_pdf(head, name)


def extract_any(
    data: bytes,
    name: str,
    *,
    password: str | None,
    max_pages: int,
    ocr: bool,
    share: tuple[int, int] = (0, 1),
    progress: Progress | None = None,
) -> ExtractedDocument:
    """The document in ``data`` (or the ``share`` of its pages), by whichever extractor it calls for."""
    if not data:
        raise InvalidInput(f"{name}: the file is empty")
    head = data[:SNIFF_BYTES]
    image = sniff_image(head)
    if image:
        doc = open_image(data, name, image)
        document = extract_pdf_document(doc, name, mime=IMAGE_MIMES[image], max_pages=max_pages, ocr=ocr, progress=progress)
        document.stored_copy = bounded_raster(doc)
        return document
    if _is_pdf(head, name):
        doc, needed_password = open_pdf_authenticated(data, name, password)
        document = extract_pdf_document(
            doc, name, mime="application/pdf", max_pages=max_pages, ocr=ocr, share=share, progress=progress
        )
        if needed_password and share[0] == 0:  # one reader makes it; the renderer has no password
            document.stored_copy = decrypted_copy(doc)
        return document
    previous = sniff_previous(name, head)
    if previous:
        document = extract_previous(previous, data, name)
        if progress:
            progress(len(document.pages), len(document.pages))
        return document
    raise InvalidInput(f"{name}: unsupported file type (expected a PDF, an image, or an earlier OCR output)")
