"""The application facade: what the UI and the CLI call.

``Aizoomdoc.open(settings)`` picks the storage (cloud when configured and reachable, local
otherwise) and migrates it. Methods take and return plain records from ``models``; every input that
came from a person is validated here, once, before it reaches the stores, and failures a person can
fix raise ``AizoomdocError`` with one line to show.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import agent
from .config import Settings, describe_error
from .errors import InvalidInput
from .events import Event
from .export import export_chat
from .ingest.pdf import Progress
from .ingest.service import IngestResult, ingest_bytes, ingest_file
from .llm import check_llm
from .models import BackendStatus, Chat, ChatImage, ChatSummary, ChatView, DocumentInfo, Message, PageInfo, SearchResult
from .render import Renderer
from .sanitize import clean_text, parse_id
from .search import Hit, hit_from_block, search
from .storage import schema
from .storage.backends import Storage, open_storage
from .storage.blobs import chat_image_key, chat_prefix, document_prefix
from .storage.sync import SyncReport

log = logging.getLogger("aizoomdoc.app")

MAX_TITLE = 200
MAX_MESSAGE = 100_000
DEFAULT_TITLE = "New chat"
MAX_PAGE_SIZE = 500
# Far beyond any history, and low enough that offset + limit (what a merge of the cloud with the
# local spool asks each of them for) stays within the 64-bit integers SQLite and PostgreSQL take.
MAX_OFFSET = 1_000_000_000


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    """Ids are made here, not by the database, so a record keeps its id wherever it is written."""
    return str(uuid.uuid4())


class Aizoomdoc:
    """Chats, documents, search and questions over the storage chosen at start (one per process)."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.db = storage.db
        self.blobs = storage.blobs
        self.renderer = Renderer(storage.blobs)

    @classmethod
    def open(cls, settings: Settings, *, background_sync: bool = False, sync_at_start: bool = True) -> Aizoomdoc:
        """Open the storage; writes that waited for the cloud in an earlier run are pushed now
        (``sync_at_start``) and, with ``background_sync`` (the UI's choice), from a daemon thread
        whenever more wait."""
        app = cls(settings, open_storage(settings))
        if sync_at_start:
            app.storage.run_sync()
        if background_sync:
            app.storage.start_background_sync()
        return app

    def close(self) -> None:
        self.storage.close()

    def status(self) -> list[BackendStatus]:
        """Storage backends as they stand: configured, reachable (as last tried), in use."""
        return self.storage.statuses()

    def waiting(self) -> dict[str, int]:
        """Writes waiting in the local spool for the cloud, per lane (``database``, ``blobs``), and
        those the cloud refused (``failed``)."""
        return self.storage.waiting()

    def sync(self) -> SyncReport:
        """Push what waits to the cloud now (retrying an unreachable backend at once)."""
        return self.storage.run_sync(force=True)

    def check(self) -> list[BackendStatus]:
        """Every backend, tried now: storage as in use, plus the LLM endpoint when configured."""
        statuses = []
        for status in self.storage.statuses():
            if status.in_use:
                store = self.db if status.component == "database" else self.blobs
                try:
                    store.ping()
                    status = replace(status, reachable=True, error=None)
                except Exception as exc:
                    status = replace(status, reachable=False, error=describe_error(exc, self.settings))
            statuses.append(status)
        statuses.append(check_llm(self.settings))
        return statuses

    # -- chats --------------------------------------------------------------------------------

    def create_chat(self, title: str = "", *, user_id: str | None = None, metadata: dict[str, Any] | None = None) -> Chat:
        created = now()
        chat = Chat(
            id=new_id(),
            title=_title(title),
            user_id=clean_text(user_id or self.settings.default_user, max_length=200, keep_newlines=False),
            created_at=created,
            updated_at=created,
            metadata=metadata or {},
        )
        self.db.save_chat(chat)
        log.info("chat created: %s", chat.id)
        return chat

    def list_chats(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0, text: str | None = None
    ) -> list[ChatSummary]:
        """Chats newest first; ``user_id`` None lists every user's chats (the CLI's view); ``text``
        keeps those whose title or messages contain it."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}")
        return self.db.list_chats(user_id=user_id, limit=limit, offset=offset, text=clean_text(text or "").strip() or None)

    def count_chats(self, *, user_id: str | None = None, text: str | None = None) -> int:
        return self.db.count_chats(user_id=user_id, text=clean_text(text or "").strip() or None)

    def chat_documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        """Names of the documents each chat found its answers in."""
        return self.db.chat_documents([parse_id(c, "chat id") for c in chat_ids])

    def get_chat(self, chat_id: str) -> Chat:
        return self.db.get_chat(parse_id(chat_id, "chat id"))

    def chat_view(self, chat_id: str) -> ChatView:
        return self.db.chat_view(parse_id(chat_id, "chat id"))

    def rename_chat(self, chat_id: str, title: str) -> Chat:
        chat = replace(self.get_chat(chat_id), title=_title(title), updated_at=now())
        self.db.save_chat(chat)
        return chat

    def delete_chat(self, chat_id: str) -> None:
        """Delete the chat's rows, then its blobs (every key under the chat's prefix)."""
        chat_id = parse_id(chat_id, "chat id")
        self.db.delete_chat(chat_id)
        removed = self.blobs.delete_prefix(chat_prefix(chat_id))
        log.info("chat deleted: %s (%d blobs)", chat_id, removed)

    # -- chat contents ------------------------------------------------------------------------

    def add_message(
        self,
        chat_id: str,
        role: str,
        content: str,
        *,
        message_type: str = "text",
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        if role not in schema.MESSAGE_ROLES:
            raise InvalidInput(f"unknown message role: {role!r}")
        chat_id = self.get_chat(chat_id).id
        message = Message(
            id=new_id(),
            chat_id=chat_id,
            role=role,
            content=clean_text(content, max_length=MAX_MESSAGE),
            message_type=message_type,
            created_at=now(),
            metadata=metadata or {},
        )
        self.db.save_message(message)
        log.info("message added: %s to chat %s", message.id, chat_id)
        return message

    def add_image(
        self,
        chat_id: str,
        data: bytes,
        *,
        kind: str,
        width: int,
        height: int,
        mime: str = "image/png",
        name: str | None = None,
        message_id: str | None = None,
        document_id: str | None = None,
        page: int | None = None,
        bbox: Sequence[float] | None = None,
        scale: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ChatImage:
        """Store the image bytes, then its row; a failed row write removes the bytes again."""
        if kind not in schema.IMAGE_KINDS:
            raise InvalidInput(f"unknown image kind: {kind!r}")
        chat_id = self.get_chat(chat_id).id
        image_id = new_id()
        extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(mime, "bin")
        image = ChatImage(
            id=image_id,
            chat_id=chat_id,
            message_id=parse_id(message_id, "message id") if message_id else None,
            name=clean_text(name or f"{kind}-{image_id[:8]}.{extension}", max_length=200, keep_newlines=False),
            kind=kind,
            storage_key=chat_image_key(chat_id, f"{image_id}.{extension}"),
            mime=mime,
            width=int(width),
            height=int(height),
            document_id=parse_id(document_id, "document id") if document_id else None,
            page=page,
            bbox=[float(v) for v in bbox] if bbox is not None else None,
            scale=scale,
            created_at=now(),
            metadata=metadata or {},
        )
        self.blobs.put(image.storage_key, data, mime)
        try:
            self.db.save_image(image)
        except BaseException:
            self.blobs.delete(image.storage_key)
            raise
        log.info("image added: %s (%s, %dx%d) to chat %s", image.id, kind, image.width, image.height, chat_id)
        return image

    def add_search_results(
        self, chat_id: str, hits: Sequence[dict[str, Any]], *, message_id: str | None = None
    ) -> list[SearchResult]:
        """Save hits (dicts of the search contract) in their rank order."""
        chat_id = self.get_chat(chat_id).id
        created = now()
        results = [
            SearchResult(
                id=new_id(),
                chat_id=chat_id,
                message_id=parse_id(message_id, "message id") if message_id else None,
                document_id=parse_id(hit["document_id"], "document id"),
                document_name=clean_text(str(hit.get("document_name", "")), max_length=500),
                block_id=str(hit["block_id"]),
                page=int(hit["page"]),
                text=clean_text(str(hit.get("text", "")), max_length=MAX_MESSAGE),
                bbox=[float(v) for v in hit["bbox"]],
                score=float(hit.get("score", 0.0)),
                rank=rank,
                created_at=created,
            )
            for rank, hit in enumerate(hits, start=1)
        ]
        self.db.save_search_results(results)
        log.info("search result added: %d hits to chat %s", len(results), chat_id)
        return results

    # -- documents ----------------------------------------------------------------------------

    def ingest(
        self, path: Path, *, name: str | None = None, password: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Read and store one file; failures come back as a result with ``status == "error"``."""
        return ingest_file(self.db, self.blobs, self.settings, Path(path), name=name, password=password, progress=progress)

    def ingest_bytes(
        self, data: bytes, name: str, *, password: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Store a file already in memory (an upload) as ``name``, without copying it; like ``ingest``."""
        return ingest_bytes(self.db, self.blobs, self.settings, data, name, password=password, progress=progress)

    def list_documents(self) -> list[DocumentInfo]:
        return self.db.list_documents()

    def sheet_codes(self, document_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each document's sheet codes (from the title blocks), in page order."""
        return self.db.sheet_codes([parse_id(d, "document id") for d in document_ids])

    def get_document(self, document_id: str) -> DocumentInfo:
        return self.db.get_document(parse_id(document_id, "document id"))

    def document_pages(self, document_id: str) -> list[PageInfo]:
        return self.db.document_pages(self.get_document(document_id).id)

    def delete_document(self, document_id: str) -> None:
        """Delete the document's rows and its stored file; chats that cited it keep their evidence."""
        document_id = parse_id(document_id, "document id")
        self.db.delete_document(document_id)
        self.blobs.delete_prefix(document_prefix(document_id))
        log.info("document deleted: %s", document_id)

    def search(self, query: str, *, top: int = 10, document_ids: Sequence[str] | None = None) -> list[Hit]:
        if not 1 <= top <= MAX_PAGE_SIZE:
            raise InvalidInput(f"top must be between 1 and {MAX_PAGE_SIZE}")
        scope = [self.get_document(d).id for d in document_ids] if document_ids is not None else None
        return search(self.db, clean_text(query, max_length=2000), top=top, document_ids=scope)

    def sheet_of(self, document_id: str, page: int) -> str | None:
        info = self.db.page_info(document_id, page)
        return info.sheet_code if info else None

    def title_block_of(self, document_id: str, page: int) -> dict[str, Any]:
        info = self.db.page_info(document_id, page)
        return info.title_block if info else {}

    def blocks_in_region(self, document_id: str, page: int, bbox: Sequence[float]) -> list[Hit]:
        """The page's blocks that overlap ``bbox``, top to bottom."""
        x0, y0, x1, y1 = bbox
        blocks = [b for b in self.db.page_blocks(document_id, page)
                  if b.bbox[0] < x1 and b.bbox[2] > x0 and b.bbox[1] < y1 and b.bbox[3] > y0]
        return [hit_from_block(b) for b in sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))]

    # -- questions ----------------------------------------------------------------------------

    def ask(
        self, question: str, *, chat_id: str | None = None, offline: bool = False, user_id: str | None = None
    ) -> Iterator[Event]:
        """Answer a question in a chat, yielding events as it goes (see ``agent`` and ``events``)."""
        return agent.ask(self, question, chat_id=chat_id, offline=offline, user_id=user_id)

    def finish_message(self, pending: Message, content: str, *, message_type: str, metadata: dict[str, Any]) -> Message:
        """Fill in an answer that was saved as pending when the question arrived.

        The whole row is written again (from the pending message the caller holds), so finishing
        needs no read and lands in the local spool like any other write when the cloud is away.
        """
        message = replace(
            pending, content=clean_text(content, max_length=MAX_MESSAGE), message_type=message_type, metadata=metadata
        )
        self.db.save_message(message)
        return message

    def export_chat(self, chat_id: str) -> tuple[str, bytes]:
        """(file name, zip) of the chat: chat.md with its images (see ``export``)."""
        return export_chat(self, chat_id)

    def set_chat_scope(self, chat_id: str, document_ids: Sequence[str] | None) -> Chat:
        """Limit the chat's questions to these documents (None: all documents)."""
        chat = self.get_chat(chat_id)
        scope = [self.get_document(d).id for d in document_ids] if document_ids else None
        chat = replace(chat, metadata={**chat.metadata, "document_ids": scope}, updated_at=now())
        self.db.save_chat(chat)
        return chat

    def image_bytes(self, image: ChatImage) -> bytes:
        return self.blobs.get(image.storage_key)

    def image_url(self, image: ChatImage) -> str:
        """Where the image can be fetched: a local path, or a presigned URL that expires."""
        return self.blobs.url(image.storage_key)


def _title(title: str) -> str:
    title = clean_text(title or "", max_length=MAX_TITLE, keep_newlines=False)
    return title or DEFAULT_TITLE
