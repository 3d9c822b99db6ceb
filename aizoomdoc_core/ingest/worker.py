"""Reading a file in isolated readers (see ``aizoomdoc_core.isolation``), several per PDF.

A PDF is read by several readers at once, each taking every n-th page (one per core, at most
``MAX_READERS``): sheets are independent, and OCR of a scanned set takes seconds per page. Each
reader also prepares its blocks for the index, so that work is spread over the cores too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial

from ..isolation import Report, run_isolated
from .detect import extract_any, splits_by_page
from .extracted import SNIFF_BYTES, ExtractedDocument, document_status, prepare_for_index
from .pdf import Progress

MAX_READERS = 4


@dataclass(frozen=True)
class ReadLimits:
    seconds: float = 600.0  # for the whole file, OCR included
    memory_bytes: int = 3 * 1024**3  # per reader, on top of what the forked child inherits
    max_pages: int = 2000
    ocr: bool = True  # whether Tesseract may be used (the caller checks it is installed)
    readers: int = min(MAX_READERS, os.cpu_count() or 1)


def read_isolated(
    data: bytes, name: str, *, password: str | None, limits: ReadLimits, progress: Progress | None = None
) -> ExtractedDocument:
    """Extract the file's ``data`` in reader processes; raise ``InvalidInput`` on any failure or overrun.

    The readers are forked, so they share the caller's bytes (the ones it hashed and stores) rather
    than reading the file again each.
    """
    count = max(1, limits.readers) if splits_by_page(data[:SNIFF_BYTES], name) else 1
    tasks = [partial(_read_share, data, name, password, limits, (index, count)) for index in range(count)]
    parts = run_isolated(tasks, name=name, seconds=limits.seconds, memory_bytes=limits.memory_bytes, progress=progress)
    return _merge(parts)


def _read_share(
    data: bytes, name: str, password: str | None, limits: ReadLimits, share: tuple[int, int], report: Report
) -> ExtractedDocument:
    document = extract_any(
        data, name, password=password, max_pages=limits.max_pages, ocr=limits.ocr,
        share=share, progress=report,
    )
    prepare_for_index(document)
    return document


def _merge(parts: list[ExtractedDocument]) -> ExtractedDocument:
    """One document from the readers' shares of its pages."""
    if len(parts) == 1:
        return parts[0]
    pages = sorted((page for part in parts for page in part.pages), key=lambda page: page.number)
    metadata = dict(parts[0].metadata)
    metadata["ocr_pages"] = sorted(n for part in parts for n in part.metadata.get("ocr_pages", []))
    warnings = list(dict.fromkeys(w for part in parts for w in part.warnings))
    return ExtractedDocument(
        mime=parts[0].mime, pages=pages, status=document_status(pages), metadata=metadata, warnings=warnings,
        stored_copy=parts[0].stored_copy,
    )
