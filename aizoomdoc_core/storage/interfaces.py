"""What the stores provide, declared once: the interfaces the facade, search and ingest are typed by.

Two implementations stand behind each: the SQL store (``db.Database``, SQLite or PostgreSQL) and the
fallback store (``fallback_db.FallbackDatabase``: the cloud database with the local spool and the
document mirror behind it); for blobs, the local folder, the S3 bucket and ``fallback_blobs``. The
type checker checks that each satisfies its Protocol where ``backends`` hands it out, and
``tests/test_interfaces.py`` checks at run time that every member exists with the same signature.
A caller asks for the narrowest interface it needs: search an index, ingest a document store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ..models import (
    BlockRecord, BlockText, BlockVector, Chat, ChatImage, ChatSummary, ChatView, DenseProgress, DocumentInfo, Message,
    PageInfo, SearchResult, StoredBlock,
)


class ChatStore(Protocol):
    """Chats exactly as they were shown: saved whole rows, read back, listed for History."""

    def save_chat(self, chat: Chat) -> None: ...

    def save_message(self, message: Message) -> None:
        """Insert or replace the message; its chat's last activity moves up to the message's time."""
        ...

    def save_image(self, image: ChatImage) -> None: ...

    def save_search_results(self, results: Sequence[SearchResult]) -> None: ...

    def get_chat(self, chat_id: str) -> Chat: ...

    def chat_view(self, chat_id: str) -> ChatView: ...

    def list_chats(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0, text: str | None = None
    ) -> list[ChatSummary]:
        """Newest first; the filter and the summary are ``history``'s."""
        ...

    def count_chats(self, *, user_id: str | None = None, text: str | None = None) -> int: ...

    def chat_documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]: ...

    def delete_chat(self, chat_id: str) -> None: ...


class DocumentStore(Protocol):
    """Ingested documents: the file's record, its pages and its text blocks."""

    def insert_document(self, document: DocumentInfo, pages: Sequence[PageInfo], blocks: Sequence[StoredBlock]) -> None:
        """A document with all its pages and blocks: all of it or nothing."""
        ...

    def document_by_sha256(self, sha256: str) -> DocumentInfo | None: ...

    def get_document(self, document_id: str) -> DocumentInfo: ...

    def list_documents(self, *, limit: int = 1000, offset: int = 0) -> list[DocumentInfo]: ...

    def document_pages(self, document_id: str) -> list[PageInfo]: ...

    def page_info(self, document_id: str, number: int) -> PageInfo | None: ...

    def page_blocks(self, document_id: str, page: int) -> list[BlockRecord]: ...

    def sheet_codes(self, document_ids: Sequence[str]) -> dict[str, list[str]]: ...

    def delete_document(self, document_id: str) -> None: ...


class SearchIndex(Protocol):
    """What ``search`` asks of the stored blocks: statistics for BM25, candidates, their records."""

    def term_frequencies(self, terms: Sequence[str], document_ids: Sequence[str] | None = None) -> dict[str, int]: ...

    def best_blocks(
        self, weighted: Sequence[tuple[str, float]], document_ids: Sequence[str] | None = None, limit: int = 300
    ) -> list[int]: ...

    def block_statistics(self, document_ids: Sequence[str] | None = None) -> tuple[int, float]: ...

    def blocks_for_ranking(self, block_ids: Sequence[int]) -> list[BlockRecord]: ...


class VectorIndex(Protocol):
    """The blocks' dense vectors (``storage.vectors``): the indexer's backlog and saves, nearest
    blocks for hybrid search, and each document's progress. ``model`` names the embedder."""

    def vector_backlog(self, model: str, limit: int) -> list[BlockText]: ...

    def save_vectors(self, model: str, vectors: Sequence[BlockVector]) -> None: ...

    def nearest_blocks(
        self, model: str, query: np.ndarray, document_ids: Sequence[str] | None = None, limit: int = 50
    ) -> list[tuple[int, float]]:
        """Ids of the closest blocks (as ``blocks_for_ranking`` takes them) with cosine similarity."""
        ...

    def dense_progress(self, model: str, document_ids: Sequence[str]) -> list[DenseProgress]: ...


class DatabaseStore(ChatStore, DocumentStore, SearchIndex, VectorIndex, Protocol):
    """The whole database as the facade holds it."""

    kind: str  # "sqlite" or "postgresql"

    @property
    def location(self) -> str:
        """Where the data lives, with any password masked."""
        ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class BlobStore(Protocol):
    """Image and document bytes under keys built by ``blobs`` (``chats/...``, ``documents/...``)."""

    kind: str  # "local" or "s3"

    @property
    def location(self) -> str: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def url(self, key: str) -> str: ...

    def ping(self) -> None: ...

    def keys(self, prefix: str = "") -> list[str]: ...
