"""The documents of the store as a question reads them: ingest, list, search, pages and blocks.

What the agent, the pages and the CLI know of documents, behind one object: every id that came
from outside is checked here before it reaches the store.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .dense.embedder import Embedder
from .dense.hybrid import HybridSearch
from .dense.indexer import DenseIndexer
from .errors import InvalidInput
from .ingest.pdf import Progress
from .ingest.service import IngestResult, ingest_bytes, ingest_file
from .models import DenseProgress, DocumentInfo, PageInfo
from .question import Question
from .references import Coded, Referenced, References, Sheets, find, referenced_details, resolve
from .sanitize import clean_text, parse_id
from .search import Hit, favour_referenced, hit_from_block, search
from .sheet_index import SheetCheck, check, heads_a_list, sheet_key
from .storage.backends import Storage
from .storage.blobs import document_prefix

log = logging.getLogger("aizoomdoc.library")

MAX_TOP = 500
MAX_QUERY = 2000
MAX_REFERENCED_SCOPE = 5  # chats of at most this many documents rank a detail their sheets point at first
MAX_OPENINGS = 5  # documents whose first page a scoped question that matched nothing shows


@dataclass(frozen=True)
class Sheet:
    """What a page's title block says: its sheet code and its fields."""

    code: str | None = None
    title_block: dict[str, Any] = field(default_factory=dict)

    def described(self) -> str:
        """The title block's fields on one line, for a model that views the page."""
        fields = self.title_block
        flat = {**{k: v for k, v in fields.items() if k not in ("fields", "bbox")}, **fields.get("fields", {})}
        return "; ".join(f"{k}: {v}" for k, v in flat.items()) or "no title block found"


class Library:
    """Documents, their pages and blocks, and search over them: hybrid (words and meaning) when an
    embedder is given, lexical otherwise."""

    def __init__(self, storage: Storage, settings: Settings, embedder: Embedder | None = None) -> None:
        self.storage = storage
        self.settings = settings
        self.hybrid = HybridSearch(storage.db, embedder) if embedder else None
        self.indexer = DenseIndexer(storage.db, embedder) if embedder else None
        # Per document: a detail is pointed at from its own document's sheets, which never change.
        self._referenced: dict[str, list[Referenced]] = {}

    def ingest(
        self, path: Path, *, name: str | None = None, password: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Read and store one file; failures come back as a result with ``status == "error"``."""
        result = ingest_file(self.storage.db, self.storage.blobs, self.settings, Path(path), name=name,
                             password=password, progress=progress)
        self._ingested()
        return result

    def ingest_bytes(
        self, data: bytes, name: str, *, password: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Store a file already in memory (an upload) as ``name``, without copying it; like ``ingest``."""
        result = ingest_bytes(self.storage.db, self.storage.blobs, self.settings, data, name, password=password,
                              progress=progress)
        self._ingested()
        return result

    def _ingested(self) -> None:
        if self.indexer:
            self.indexer.wake()

    def dense_progress(self, document_ids: Sequence[str]) -> list[DenseProgress] | None:
        """How far each document's dense index is; None when dense search is off."""
        if self.indexer is None:
            return None
        return self.indexer.progress([parse_id(d, "document id") for d in document_ids])

    def documents(self) -> list[DocumentInfo]:
        return self.storage.db.list_documents()

    def document(self, document_id: str) -> DocumentInfo:
        return self.storage.db.get_document(parse_id(document_id, "document id"))

    def pages(self, document_id: str) -> list[PageInfo]:
        return self.storage.db.document_pages(self.document(document_id).id)

    def sheet_codes(self, document_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each document's sheet codes (from the title blocks), in page order."""
        return self.storage.db.sheet_codes([parse_id(d, "document id") for d in document_ids])

    def existing(self, document_ids: Sequence[str]) -> list[str]:
        """The ids, each checked to name a stored document (NotFound otherwise)."""
        return [self.document(d).id for d in document_ids]

    def delete(self, document_id: str) -> None:
        """Delete the document's rows and its stored file; chats that cited it keep their evidence."""
        document_id = parse_id(document_id, "document id")
        self.storage.db.delete_document(document_id)
        self.storage.blobs.delete_prefix(document_prefix(document_id))
        self._referenced.pop(document_id, None)
        log.info("document deleted: %s", document_id)

    def search(
        self, query: str | Question, *, top: int = 10, document_ids: Sequence[str] | None = None, meaning: bool = True,
        context: str = "",
    ) -> list[Hit]:
        """The best blocks for ``query``; a ``Question`` was cleaned when it was asked.

        ``meaning=False`` asks the lexical ranker alone: whether some block prints these very words
        or codes (the dense ranker always finds something nearest). ``context`` is the question a
        follow-up follows, whose words count less than the query's own (``search.search``)."""
        if not 1 <= top <= MAX_TOP:
            raise InvalidInput(f"top must be between 1 and {MAX_TOP}")
        scope = self.existing(document_ids) if document_ids is not None else None
        text = query.text if isinstance(query, Question) else clean_text(query, max_length=MAX_QUERY)
        context = clean_text(context, max_length=MAX_QUERY)
        if not meaning:
            return search(self.storage.db, text, top=top, document_ids=scope)
        if self.hybrid:
            hits = self.hybrid(text, top=top, document_ids=scope, context=context)
        else:
            hits = search(self.storage.db, text, top=top, document_ids=scope, context=context)
        if scope is None or len(scope) > MAX_REFERENCED_SCOPE:
            return hits  # a set's callouts are read when asked, at most a few sets a question
        return favour_referenced(hits, self.referenced_details)

    def referenced_details(self, document_id: str) -> list[Referenced]:
        """The document's details that its sheets point at, with how many sheets do (``references``);
        worked out once per document and process."""
        if document_id not in self._referenced:
            self._referenced[document_id] = referenced_details(self.references(document_id).references)
        return self._referenced[document_id]

    def opening_hits(self, document_ids: Sequence[str]) -> list[Hit]:
        """Each document's first page as a hit: its title block, else its first block. What a chat
        scoped to these documents shows when nothing matches its question (a question in another
        language before the dense index is ready, say): the sheet and its stamp, not nothing."""
        hits = []
        for document_id in self.existing(document_ids)[:MAX_OPENINGS]:
            blocks = sorted(self.storage.db.page_blocks(document_id, 1), key=lambda b: (b.bbox[1], b.bbox[0]))
            if blocks:
                stamp = next((b for b in blocks if b.kind == "title_block"), blocks[0])
                hits.append(hit_from_block(stamp))
        return hits

    def sheet_check(self, document_id: str) -> SheetCheck:
        """The document's drawing list checked against its sheets' title blocks (``sheet_index``)."""
        document = self.document(document_id)
        pages = self.storage.db.document_pages(document.id)
        blocks = [b for page in pages for b in self.storage.db.page_blocks(document.id, page.number)]
        return check(document.id, document.name, pages, blocks)

    def list_headings(self, checked: SheetCheck) -> list[Hit]:
        """The blocks that head the checked document's drawing list, as hits: what an answer about
        the list cites and shows."""
        return [hit_from_block(b) for page in checked.index_pages
                for b in self.storage.db.page_blocks(checked.document_id, page) if heads_a_list(b.text)]

    def references(self, document_id: str, page: int | None = None) -> References:
        """The references printed on the document's pages (or on one), each resolved to its sheet,
        detail or document where this library has it (``references``). Read when asked: a
        target's blocks are read only for a detail looked for on it."""
        document = self.document(document_id)
        pages = self.storage.db.document_pages(document.id)
        numbers = [p.number for p in pages]
        if page is not None and page not in numbers:
            raise InvalidInput(f"page {page} does not exist in {document.name}")
        blocks_of = functools.cache(lambda number: self.storage.db.page_blocks(document.id, number))
        sheets = Sheets.of(document.id, document.name, pages)
        found = find([b for number in ([page] if page is not None else numbers) for b in blocks_of(number)], sheets)
        documents = self.documents()
        codes = self.storage.db.sheet_codes([d.id for d in documents])
        library = [Coded(d.id, d.name, frozenset(sheet_key(c) for c in codes.get(d.id, []))) for d in documents]
        resolved = resolve(found, sheets, blocks_of, library)
        return References(document.id, document.name, page, resolved)

    def page(self, document_id: str, number: int) -> PageInfo | None:
        return self.storage.db.page_info(parse_id(document_id, "document id"), number)

    def sheet(self, document_id: str, page: int) -> Sheet:
        info = self.storage.db.page_info(document_id, page)
        return Sheet(info.sheet_code, dict(info.title_block)) if info else Sheet()

    def blocks_in_region(self, document_id: str, page: int, bbox: Sequence[float]) -> list[Hit]:
        """The page's blocks that overlap ``bbox``, top to bottom."""
        x0, y0, x1, y1 = bbox
        blocks = [b for b in self.storage.db.page_blocks(document_id, page)
                  if b.bbox[0] < x1 and b.bbox[2] > x0 and b.bbox[1] < y1 and b.bbox[3] > y0]
        return [hit_from_block(b) for b in sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))]
