"""Ingest: one file in, one stored document out, or one clear error and nothing left behind.

The file is read in the isolated worker, then stored in this order: the original bytes to the blob
store, then the document with all its pages and blocks in one database transaction. If the
transaction fails, the blob is removed again; a file already ingested (same SHA-256) is recognised
and not stored twice, also when two sessions upload it at the same moment.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from ..config import Settings
from ..errors import AizoomdocError, InvalidInput
from ..models import DocumentInfo
from ..sanitize import clean_text
from ..storage.blobs import BlobStore, document_key, document_prefix
from ..storage.db import Database
from ..terms import index_terms
from .extracted import FIELD_LABELS, FULL_PAGE, ExtractedDocument, ExtractedPage, TitleBlock
from .pdf import Progress
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
    db: Database,
    blobs: BlobStore,
    settings: Settings,
    path: Path,
    *,
    name: str | None = None,
    password: str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest ``path``; every failure is returned as an error result, never raised."""
    shown = str(path)
    name = clean_text(name or path.name, max_length=300, keep_newlines=False) or "document"
    try:
        return _ingest(db, blobs, settings, path, shown, name, password, progress)
    except AizoomdocError as exc:
        log.warning("ingest failed: %s", exc)
        return IngestResult(path=shown, status="error", error=str(exc))


def _ingest(
    db: Database, blobs: BlobStore, settings: Settings, path: Path, shown: str, name: str,
    password: str | None, progress: Progress | None,
) -> IngestResult:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if size > settings.max_file_mb * 1024 * 1024:
        raise InvalidInput(f"{name}: {size / 1024**2:.0f} MB is over the {settings.max_file_mb:g} MB limit")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    existing = db.document_by_sha256(sha256)
    if existing:
        return _duplicate(shown, existing)
    limits = ReadLimits(seconds=settings.ingest_timeout, max_pages=settings.max_pages)
    extracted = read_isolated(path, name, password=password, limits=limits, progress=progress)
    document_id = str(uuid.uuid4())
    key = document_key(document_id, name)
    document, pages, blocks = _rows(document_id, name, sha256, len(data), key, extracted)
    blobs.put(key, data, extracted.mime)
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
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    document = {
        "id": document_id, "name": name, "sha256": sha256, "mime": extracted.mime, "size_bytes": size,
        "page_count": len(extracted.pages), "blob_key": key, "status": extracted.status, "error": None,
        "metadata": {**extracted.metadata, "warnings": extracted.warnings},
        "created_at": datetime.now(timezone.utc),
    }
    pages, blocks = [], []
    for page in extracted.pages:
        pages.append(_page_row(document_id, page))
        title = _title_block_text(page.title_block)
        if title:
            blocks.append(_block_row(document_id, page.number, f"p{page.number}-title", "title_block", title,
                                     page.title_block.bbox or FULL_PAGE, {}))
        for block in page.blocks:
            blocks.append(_block_row(document_id, block.page, block.key, block.kind, block.text, block.bbox, block.metadata))
    return document, pages, blocks


def _page_row(document_id: str, page: ExtractedPage) -> dict[str, Any]:
    title = page.title_block
    return {
        "document_id": document_id, "number": page.number, "width_pt": page.width_pt,
        "height_pt": page.height_pt, "rotation": page.rotation, "has_text_layer": page.has_text_layer,
        "sheet_code": title.sheet_code, "sheet_title": title.sheet_title,
        "metadata": {
            **page.metadata,
            "title_block": {k: v for k, v in title.__dict__.items() if v not in (None, {}, "")},
        },
    }


def _block_row(
    document_id: str, page: int, key: str, kind: str, text: str, bbox: list[float], metadata: dict[str, Any]
) -> dict[str, Any]:
    text = clean_text(text)
    terms = index_terms(text)
    return {
        "document_id": document_id, "page": page, "block_key": key, "kind": kind, "text": text,
        "bbox": [round(float(v), 5) for v in bbox], "metadata": metadata,
        "terms": " ".join(terms), "term_count": len(terms),
    }


def _title_block_text(title: TitleBlock) -> str:
    """The title block as searchable lines: a question about a sheet's code or title finds it."""
    labelled = [
        ("Sheet code / Шифр", title.sheet_code), ("Sheet / Лист", title.sheet_number),
        ("Title / Наименование", title.sheet_title), ("Stage / Стадия", title.stage),
        *((FIELD_LABELS.get(key, key), value) for key, value in title.fields.items()),
    ]
    return "\n".join(f"{label}: {value}" for label, value in labelled if value)
