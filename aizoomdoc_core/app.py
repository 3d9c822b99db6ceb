"""The application facade: what the UI and the CLI call, wired from the parts that do the work.

``Aizoomdoc.open(settings)`` picks the storage (cloud when configured and reachable, local
otherwise) and migrates it, then wires the parts: ``chats`` (chats and their owners, a question's
chat log), ``library`` (documents, search, pages), the ``renderer`` and the ``agent`` that answers
questions with them. Methods take and return plain records from ``models``; every input that came
from a person is validated by those parts, once, before it reaches the stores, and failures a
person can fix raise ``AizoomdocError`` with one line to show. Nothing below imports the facade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .agent import Agent
from .chats import DEFAULT_TITLE, MAX_OFFSET, MAX_PAGE_SIZE, MAX_TITLE, Chats
from .compare import Comparison, compare, overlay
from .config import Settings, describe_error
from .dense.embedder import open_embedder
from .errors import AizoomdocError, InvalidInput
from .events import Event
from .export import export_chat
from .ingest.pdf import Progress, ocr_available
from .ingest.service import IngestResult
from .library import Library
from .llm import check_llm
from .models import (
    BackendStatus, Chat, ChatImage, ChatSummary, ChatView, DenseProgress, DocumentInfo, Message, PageInfo, PageView,
    SearchResult,
)
from .question import Question
from .render import Renderer, drawable, view_region
from .search import Hit
from .references import References
from .sheet_index import SheetCheck
from .storage.backends import Storage, open_storage
from .storage.sync import SyncReport

__all__ = ["DEFAULT_TITLE", "MAX_OFFSET", "MAX_PAGE_SIZE", "MAX_TITLE", "Aizoomdoc"]


class Aizoomdoc:
    """Chats, documents, search and questions over the storage chosen at start (one per process)."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage
        self.db = storage.db
        self.blobs = storage.blobs
        self.renderer = Renderer(storage.blobs)
        self.chats = Chats(storage, settings.default_user)
        self.library = Library(storage, settings, open_embedder(settings))
        self.agent = Agent(self.library, self.renderer, settings)

    @classmethod
    def open(
        cls, settings: Settings, *, background_sync: bool = False, sync_at_start: bool = True,
        background_index: bool = False,
    ) -> Aizoomdoc:
        """Open the storage; writes that waited for the cloud in an earlier run are pushed now
        (``sync_at_start``) and, with ``background_sync`` (the UI's choice), from a daemon thread
        whenever more wait. ``background_index`` (the UI's choice too) makes the blocks' dense
        vectors in a daemon thread: those waiting now, and those of every document ingested later."""
        app = cls(settings, open_storage(settings))
        if sync_at_start:
            app.storage.run_sync()
        if background_sync:
            app.storage.start_background_sync()
        if background_index and app.library.indexer:
            app.library.indexer.start()
        return app

    def close(self) -> None:
        if self.library.indexer:
            self.library.indexer.stop()
        self.storage.close()

    def status(self) -> list[BackendStatus]:
        """Storage backends as they stand: configured, reachable (as last tried), in use."""
        return self.storage.statuses()

    def waiting(self) -> dict[str, int]:
        """Writes waiting in the local spool for the cloud, per lane (``database``, ``blobs``), and
        those the cloud refused (``failed``)."""
        return self.storage.waiting()

    def ocr_available(self) -> bool:
        """Whether scans and images get their text read (Tesseract with its English and Russian data)."""
        return ocr_available()

    def sync(self, *, level_mirror: bool = False) -> SyncReport:
        """Push what waits to the cloud now (retrying an unreachable backend at once); with
        ``level_mirror``, also copy the cloud's documents the local mirror lacks before returning."""
        return self.storage.run_sync(force=True, level_mirror=level_mirror)

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

    # -- chats: ``user`` names the person asking; another user's chat is not found for them -------

    def create_chat(self, title: str = "", *, user_id: str | None = None, metadata: dict[str, Any] | None = None) -> Chat:
        return self.chats.create(title, user_id=user_id, metadata=metadata)

    def list_chats(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0, text: str | None = None
    ) -> list[ChatSummary]:
        """Chats newest first; ``user_id`` None lists every user's chats (the CLI's view); ``text``
        keeps those whose title or messages contain it."""
        return self.chats.recent(user_id=user_id, limit=limit, offset=offset, text=text)

    def count_chats(self, *, user_id: str | None = None, text: str | None = None) -> int:
        return self.chats.count(user_id=user_id, text=text)

    def chat_documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        """Names of the documents each chat found its answers in."""
        return self.chats.documents(chat_ids)

    def get_chat(self, chat_id: str, user: str | None = None) -> Chat:
        return self.chats.get(chat_id, user)

    def chat_view(self, chat_id: str, user: str | None = None) -> ChatView:
        """The chat as it was shown, with the model's steps (``user`` None: any user's, the CLI's view)."""
        return self.chats.view(chat_id, user)

    def rename_chat(self, chat_id: str, title: str, user: str | None = None) -> Chat:
        return self.chats.rename(chat_id, title, user)

    def delete_chat(self, chat_id: str, user: str | None = None) -> None:
        """Delete the chat's rows, then its blobs."""
        self.chats.delete(chat_id, user)

    def export_chat(self, chat_id: str, user: str | None = None) -> tuple[str, bytes]:
        """(file name, zip) of the chat: chat.md with its images (see ``export``)."""
        return export_chat(self.chats, self.chats.view(chat_id, user), self._source)

    def _source(self, document_id: str, page: int) -> tuple[str, str | None]:
        """A cited page as a reviewer names it: the document's file name and the page's sheet code."""
        try:
            name = self.library.document(document_id).name
        except AizoomdocError:  # deleted since: the chat keeps its evidence anyway
            return "(deleted document)", None
        return name, self.library.sheet(document_id, page).code

    def set_chat_scope(self, chat_id: str, document_ids: Sequence[str] | None, user: str | None = None) -> Chat:
        """Limit the chat's questions to these documents (None: all documents)."""
        return self.chats.set_scope(chat_id, self.library.existing(document_ids) if document_ids else None, user)

    # -- chat contents (each call reads the chat once; a question's writes read it once in all) ---

    def add_message(
        self, chat_id: str, role: str, content: str, *, message_type: str = "text", metadata: dict[str, Any] | None = None
    ) -> Message:
        return self.chats.log(chat_id).add_message(role, content, message_type=message_type, metadata=metadata)

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
        return self.chats.log(chat_id).add_image(
            data, kind=kind, width=width, height=height, mime=mime, name=name, message_id=message_id,
            document_id=document_id, page=page, bbox=bbox, scale=scale, metadata=metadata,
        )

    def add_search_results(
        self, chat_id: str, hits: Sequence[Hit | dict[str, Any]], *, message_id: str | None = None
    ) -> list[SearchResult]:
        """Save hits (or dicts of the search contract) in their rank order."""
        return self.chats.log(chat_id).add_search_results([_hit(h) for h in hits], message_id=message_id)

    def image_bytes(self, image: ChatImage) -> bytes:
        return self.chats.image_bytes(image)

    def image_url(self, image: ChatImage) -> str:
        """Where the image can be fetched: a local path, or a presigned URL that expires."""
        return self.chats.image_url(image)

    # -- documents ----------------------------------------------------------------------------

    def ingest(
        self, path: Path, *, name: str | None = None, password: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Read and store one file; failures come back as a result with ``status == "error"``."""
        return self.library.ingest(path, name=name, password=password, progress=progress)

    def ingest_bytes(
        self, data: bytes, name: str, *, password: str | None = None, progress: Progress | None = None
    ) -> IngestResult:
        """Store a file already in memory (an upload) as ``name``, without copying it; like ``ingest``."""
        return self.library.ingest_bytes(data, name, password=password, progress=progress)

    def list_documents(self) -> list[DocumentInfo]:
        return self.library.documents()

    def dense_progress(self, document_ids: Sequence[str]) -> list[DenseProgress] | None:
        """How far each document's dense index is (blocks done of all); None when it is off."""
        return self.library.dense_progress(document_ids)

    def build_dense_index(self, progress: Callable[[int], None] | None = None) -> int:
        """Make every dense vector that waits, now (the CLI's ``index``); how many blocks were done."""
        return self.library.indexer.run(progress) if self.library.indexer else 0

    def sheet_codes(self, document_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each document's sheet codes (from the title blocks), in page order."""
        return self.library.sheet_codes(document_ids)

    def compare(self, old_id: str, new_id: str) -> Comparison:
        """Two versions of a set, sheet by sheet: what changed where, as ink and as words (``compare``)."""
        return compare(self.library, self.renderer, old_id, new_id)

    def compare_overlay(self, old_id: str, new_id: str, old_page: int, new_page: int) -> bytes:
        """One sheet pair drawn over each other: removed ink red, added blue, the rest grey (PNG)."""
        return overlay(self.library, self.renderer, old_id, new_id, old_page, new_page)

    def sheet_check(self, document_id: str) -> SheetCheck:
        """The document's drawing list against its sheets: missing, not listed, titled differently."""
        return self.library.sheet_check(document_id)

    def references(self, document_id: str, page: int | None = None) -> References:
        """The references between sheets printed on the document (or one page), resolved where they can be."""
        return self.library.references(document_id, page)

    def get_document(self, document_id: str) -> DocumentInfo:
        return self.library.document(document_id)

    def document_pages(self, document_id: str) -> list[PageInfo]:
        return self.library.pages(document_id)

    def delete_document(self, document_id: str) -> None:
        """Delete the document's rows and its stored file; chats that cited it keep their evidence."""
        self.library.delete(document_id)

    def search(self, query: str, *, top: int = 10, document_ids: Sequence[str] | None = None) -> list[Hit]:
        return self.library.search(query, top=top, document_ids=document_ids)

    def blocks_in_region(self, document_id: str, page: int, bbox: Sequence[float]) -> list[Hit]:
        """The page's blocks that overlap ``bbox``, top to bottom."""
        return self.library.blocks_in_region(document_id, page, bbox)

    # -- the viewer ---------------------------------------------------------------------------

    def page_view(
        self, document_id: str, page: int, region: Sequence[float] | None = None, pixels: tuple[int, int] = (1024, 1024),
    ) -> PageView:
        """``region`` of the page (None: the whole page) drawn from the original at ``pixels``
        (width, height; the viewer's size on screen), for the viewer of the Documents page and of a
        chat's sources. A text-only document comes back with ``drawable`` False and no image, a page
        that does not exist or a region that is not four numbers raises ``InvalidInput``, and a
        hostile file is drawn in an isolated child with the renderer's time and memory limits."""
        document = self.library.document(document_id)
        box = view_region(region)
        if not 1 <= page <= document.page_count:
            raise InvalidInput(f"page {page} does not exist in {document.name} ({document.page_count} pages)")
        if not drawable(document):
            info = self.library.page(document.id, page)
            size = (info.width_pt, info.height_pt) if info else (0.0, 0.0)
            return PageView(document.id, page, document.page_count, False, box, size, None, 0, 0)
        width, height = (int(v) for v in pixels)
        shown = self.renderer.view(document, page, box, (width, height))
        return PageView(document.id, page, document.page_count, True, shown.bbox, shown.page_pt, shown.png,
                        shown.width, shown.height)

    # -- questions ----------------------------------------------------------------------------

    def ask(
        self, question: str, *, chat_id: str | None = None, offline: bool = False, user_id: str | None = None,
        document_ids: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        """Answer a question in a chat (a new one, or ``chat_id``, which must be ``user_id``'s when
        one is given), yielding events as it goes (see ``agent`` and ``events``). Nothing happens
        until the first event is asked for.

        ``document_ids`` scope the new chat the question opens, before it is searched: the documents
        a person chose before asking are the ones the first answer cites. An existing chat keeps
        its own scope (``set_chat_scope``)."""
        asked = Question.parse(question)
        if chat_id and document_ids:
            raise InvalidInput("document_ids scope a new chat; an existing chat's scope is set with set_chat_scope")
        if chat_id:
            chat = self.chats.resume(chat_id, user_id)
        else:
            scope = self.library.existing(document_ids) if document_ids else None
            chat = self.chats.start(asked.text, user_id=user_id, scope=scope)
        yield from self.agent.ask(asked, chat, offline=offline)


def _hit(hit: Hit | dict[str, Any]) -> Hit:
    """A hit of the search contract's JSON (as a caller of the facade may hold it) as a ``Hit``."""
    if isinstance(hit, Hit):
        return hit
    return Hit(document_id=str(hit["document_id"]), document_name=str(hit.get("document_name", "")),
               page=int(hit["page"]), block_id=str(hit["block_id"]), bbox=[float(v) for v in hit["bbox"]],
               text=str(hit.get("text", "")), score=float(hit.get("score", 0.0)), kind=str(hit.get("kind", "text")),
               sheet_code=hit.get("sheet_code"), sheet_title=hit.get("sheet_title"))
