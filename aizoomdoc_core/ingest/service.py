"""Ingest: one file in, one stored document out, or one clear error and nothing left behind.

The file is read in the isolated worker, then stored in this order: its bytes to the blob store (or
the PDF made for drawing it, ``StoredCopy``: a decrypted copy of a password-protected PDF, a bounded
rendition of a huge image), then the document with all its pages and blocks in one database
transaction. The document is known by the SHA-256 of the file the user gave either way. If the
transaction fails, the blob is removed again; a file already ingested (same SHA-256) is recognised
and not stored twice, also when two sessions upload it at the same moment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import stat
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..config import Settings, describe_error
from ..errors import AizoomdocError, InvalidInput
from ..models import DocumentInfo, PageInfo, StoredBlock
from ..sanitize import clean_text, clean_value
from ..storage.blobs import document_key, document_prefix
from ..storage.interfaces import BlobStore, DocumentStore
from .extracted import ExtractedDocument, ExtractedPage
from .pdf import Progress, ocr_available
from .worker import ReadLimits, read_isolated

log = logging.getLogger("aizoomdoc.ingest")


@dataclass
class IngestResult:
    """The CLI contract's per-file record, plus what a UI wants to show."""

    path: str
    status: str  # "ok" or "error"
    document_id: str | None = None
    pages: int | None = None
    error: str | None = None
    duplicate: bool = False
    document_status: str | None = None  # "ready" or "image_only"
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def ingest_file(
    db: DocumentStore,
    blobs: BlobStore,
    settings: Settings,
    path: Path,
    *,
    name: str | None = None,
    password: str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest the regular file at ``path``; every failure is returned as an error result, never raised."""
    shown, name = str(path), _display_name(name or path.name)
    try:
        data = _read_regular_file(path, shown, name, settings)
    except Exception as exc:
        return _failed(shown, name, exc, settings)
    return _ingest_guarded(db, blobs, settings, data, shown, name, password, progress)


def ingest_bytes(
    db: DocumentStore,
    blobs: BlobStore,
    settings: Settings,
    data: bytes,
    name: str,
    *,
    password: str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest a file already in memory (an upload) as ``name``; failures come back as error results.

    ``data`` is used as it is, never copied: it is hashed, shared with the forked readers and
    stored, so an upload is held in memory once.
    """
    name = _display_name(name)
    return _ingest_guarded(db, blobs, settings, data, name, name, password, progress)


def _display_name(name: str) -> str:
    return clean_text(name, max_length=300, keep_newlines=False) or "document"


def _ingest_guarded(
    db: DocumentStore, blobs: BlobStore, settings: Settings, data: bytes, shown: str, name: str,
    password: str | None, progress: Progress | None,
) -> IngestResult:
    try:
        _check_size(len(data), name, settings)
        return _ingest(db, blobs, settings, data, shown, name, password, progress)
    except Exception as exc:
        return _failed(shown, name, exc, settings)


def _failed(shown: str, name: str, exc: Exception, settings: Settings) -> IngestResult:
    """The one-line error result for any failure. The caller shows it (the CLI's one stderr line per
    file, the UI's error box), so it is logged at debug level only; a failure nobody foresaw (a bug,
    a backend's own error) keeps its traceback there and names the file in its line."""
    if isinstance(exc, AizoomdocError):
        log.debug("ingest failed: %s", exc)
        message = str(exc)
    else:
        log.debug("ingest of %s failed", shown, exc_info=True)
        message = f"cannot be ingested ({type(exc).__name__}: {describe_error(exc, settings)})"
    if name not in message and shown not in message:
        message = f"{shown}: {message}"
    return IngestResult(path=shown, status="error", error=message)


_NOT_REGULAR = (
    (stat.S_ISDIR, "is a directory"), (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"), (stat.S_ISFIFO, "is a FIFO (named pipe)"), (stat.S_ISSOCK, "is a socket"),
)


def _read_regular_file(path: Path, shown: str, name: str, settings: Settings) -> bytes:
    """The bytes of the regular file at ``path``; anything else is refused without being read.

    A directory cannot be read, a device such as ``/dev/zero`` reads until memory runs out, and
    opening a FIFO blocks until someone writes to it; so the path's type is checked before it is
    opened. It is then opened without blocking and checked again on the open descriptor, so a path
    swapped for a FIFO in between is refused too. The size limit applies before reading.
    """
    try:
        _check_regular(os.stat(path), shown, name, settings)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb", buffering=0) as file:
            _check_regular(os.fstat(fd), shown, name, settings)
            return file.read()
    except OSError as exc:
        raise InvalidInput(f"{shown}: cannot be read ({exc.strerror or exc})") from None


def _check_regular(info: os.stat_result, shown: str, name: str, settings: Settings) -> None:
    if not stat.S_ISREG(info.st_mode):
        what = next((text for test, text in _NOT_REGULAR if test(info.st_mode)), "is not a regular file")
        raise InvalidInput(f"{shown}: {what}; only regular files are read")
    _check_size(info.st_size, name, settings)


def _check_size(size: int, name: str, settings: Settings) -> None:
    if size > settings.max_file_mb * 1024 * 1024:
        raise InvalidInput(f"{name}: {size / 1024**2:.0f} MB is over the {settings.max_file_mb:g} MB limit")


def _ingest(
    db: DocumentStore, blobs: BlobStore, settings: Settings, data: bytes, shown: str, name: str,
    password: str | None, progress: Progress | None,
) -> IngestResult:
    sha256 = hashlib.sha256(data).hexdigest()
    existing = db.document_by_sha256(sha256)
    if existing:
        return _duplicate(shown, existing)
    # Whether Tesseract is installed is asked here, once per process: asking costs a subprocess.
    limits = ReadLimits(seconds=settings.ingest_timeout, max_pages=settings.max_pages, ocr=ocr_available())
    extracted = read_isolated(data, name, password=password, limits=limits, progress=progress)
    document_id = str(uuid.uuid4())
    key = document_key(document_id, name)
    document, pages, blocks = _rows(document_id, name, sha256, len(data), key, extracted)
    stored = extracted.stored_copy
    blobs.put(key, stored.pdf if stored else data, document.mime)
    try:
        db.insert_document(document, pages, blocks)
    except BaseException as exc:
        blobs.delete_prefix(document_prefix(document_id))
        if isinstance(exc, IntegrityError) and (raced := db.document_by_sha256(sha256)):
            return _duplicate(shown, raced)
        raise
    log.info("document ingested: %s %s (%d pages, %d blocks)", document_id, name, len(pages), len(blocks))
    return IngestResult(
        path=shown, status="ok", document_id=document_id, pages=len(pages),
        document_status=extracted.status, warnings=extracted.warnings,
    )


def _duplicate(shown: str, existing: DocumentInfo) -> IngestResult:
    return IngestResult(
        path=shown, status="ok", document_id=existing.id, pages=existing.page_count,
        duplicate=True, document_status=existing.status,
    )


def _rows(
    document_id: str, name: str, sha256: str, size: int, key: str, extracted: ExtractedDocument
) -> tuple[DocumentInfo, list[PageInfo], list[StoredBlock]]:
    stored = extracted.stored_copy
    # The row describes the stored file the renderer opens; a copy says what it stands for.
    about_copy = {"stored_file": stored.reason, "original_mime": extracted.mime} if stored else {}
    document = DocumentInfo(
        id=document_id, name=name, sha256=sha256, mime="application/pdf" if stored else extracted.mime,
        size_bytes=size, page_count=len(extracted.pages), blob_key=key, status=extracted.status,
        error=None, metadata=clean_value({**extracted.metadata, **about_copy, "warnings": extracted.warnings}),
        created_at=datetime.now(timezone.utc),
    )
    pages = [_page_row(document_id, page) for page in extracted.pages]
    blocks = [
        StoredBlock(
            document_id=document_id, page=block.page, block_key=block.key, kind=block.kind,
            text=block.text, bbox=block.bbox, metadata=clean_value(block.metadata),
            terms=block.terms, term_count=block.term_count,
        )
        for page in extracted.pages
        for block in page.blocks
    ]
    return document, pages, blocks


def _page_row(document_id: str, page: ExtractedPage) -> PageInfo:
    title = page.title_block
    return PageInfo(
        document_id=document_id, number=page.number, width_pt=page.width_pt,
        height_pt=page.height_pt, rotation=page.rotation, has_text_layer=page.has_text_layer,
        sheet_code=clean_value(title.sheet_code), sheet_title=clean_value(title.sheet_title),
        metadata=clean_value({
            **page.metadata,
            "title_block": {k: v for k, v in dataclasses.asdict(title).items() if v not in (None, {}, "")},
        }),
    )
