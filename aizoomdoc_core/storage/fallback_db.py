"""The database while the cloud may be away: PostgreSQL, with the local spool and the mirror behind it.

A chat write the cloud does not take (connection refused or dropped, timeout) lands in the spool
instead, with an outbox item saying what to replay (``outbox``); while items wait, new writes queue
behind them, so the cloud receives them in the order they were made: a message never arrives before
its chat. Reads merge: a chat's rows come from the cloud overlaid with the spool's newer rows; while
the cloud is down (``breaker``), reads skip it and show the spool plus what this process last read
of each chat. Ids are made by the application and saves are upserts (``writes``), so an item that is
pushed twice lands once. History lists those chats through its one SQL definition (``history``),
run on the spool over their merged rows.

Documents are read from the cloud, and from the mirror (``mirror``) while the cloud is down: search,
pages and renders keep working. A document ingested while the database is away goes into the mirror
and is pushed with its pages and blocks by ``sync``. The mirror is brought level with the cloud in
the background after each sync, so a fresh data directory answers from the cloud at once instead
of copying the whole cloud first; while it is down before the mirror is complete, search answers
from what was copied so far.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ..errors import BackendUnavailable, NotFound
from ..lru import SizedLRU
import numpy as np

from ..models import (
    BlockRecord, BlockText, BlockVector, Chat, ChatImage, ChatSummary, ChatView, DenseProgress, DocumentInfo, Message,
    PageInfo, SearchResult, StoredBlock,
)
from . import history, schema
from .breaker import Down, Lane
from .db import Database
from .mirror import DocumentMirror, MirrorRefresh
from .outbox import Outbox, OutboxItem
from .writes import ChatWrites, Write, apply_write

log = logging.getLogger("aizoomdoc.sync")

COPY_ROUNDS = 10  # batches of the mirror's backlog one look copies from the cloud's vectors, at most

T = TypeVar("T")


class FallbackDatabase(ChatWrites):
    """The ``DatabaseStore`` interface over the cloud database, with the spool behind it."""

    def __init__(self, cloud: Database, spool: Database, mirror: DocumentMirror, outbox: Outbox, lane: Lane) -> None:
        self.cloud, self.spool, self.mirror, self.outbox, self.lane = cloud, spool, mirror, outbox, lane
        self.kind = cloud.kind
        self.on_queued: Callable[[], None] = lambda: None
        # What this process last read or wrote, shown while the cloud is down (bounded by count).
        self._chats = SizedLRU(1000)
        self._views = SizedLRU(64)
        self._migrated = False
        self.refresher = MirrorRefresh(lambda stop: mirror.refresh(cloud, outbox.waiting_documents, stop))

    @property
    def location(self) -> str:
        return self.cloud.location

    def close(self) -> None:
        self.refresher.stop()
        self.cloud.close()
        self.mirror.db.close()

    def ping(self) -> None:
        self.cloud.ping()

    def connect(self) -> None:
        """Reach the cloud database (migrating it the first time); raise if it does not answer."""
        self.cloud.ping()
        if not self._migrated:
            self.cloud.migrate()
            self._migrated = True

    def _cloud(self, read: Callable[[Database], T]) -> T:
        return self.lane.attempt(lambda: read(self.cloud))

    def _unavailable(self) -> BackendUnavailable:
        return BackendUnavailable(f"the database is unreachable ({self.lane.error}); try again when it answers")

    # -- chat writes ----------------------------------------------------------------------------

    def apply(self, write: Write) -> int:
        """To the cloud when it is up and nothing waits; else to the spool, queued."""
        if not self.outbox.waiting("database"):
            try:
                count = self._cloud(lambda db: db.apply(write))
                self._remember(write)
                return count
            except Down:
                pass
        with self.spool.write() as conn:
            count = apply_write(conn, write)
            self.outbox.add(conn, "database", write.kind, write.to_payload(), write.chat_id)
        self._remember(write)
        log.info("queued: %s of chat %s waits for the database", write.kind, write.chat_id)
        self.on_queued()
        return count

    def _remember(self, write: Write) -> None:
        """Keep what this process writes in its remembered views, so that a chat still shows all
        of itself (its question saved in the cloud, its answer in the spool) while the cloud is down."""
        view = self._views.get(write.chat_id)
        if write.kind != "save" or view is None:
            return
        rows = [_RECORDS[write.table](**row) for row in write.rows]
        if write.table == "chats":
            view = replace(view, chat=rows[-1])
        else:
            field_name = {"chat_messages": "messages", "chat_images": "images", "search_results": "search_results"}[write.table]
            kept = {r.id: r for r in getattr(view, field_name)} | {r.id: r for r in rows}
            view = replace(view, **{field_name: list(kept.values())})
        self._views.put(write.chat_id, view, 1)

    def save_chat(self, chat: Chat) -> None:
        if self._views.get(chat.id) is None and self._chats.get(chat.id) is None:  # new: nothing to read back
            self._views.put(chat.id, ChatView(chat, [], [], []), 1)
        super().save_chat(chat)
        self._chats.put(chat.id, chat, 1)

    def delete_chat(self, chat_id: str) -> None:
        self.get_chat(chat_id)  # NotFound when it exists nowhere
        self.apply(Write.delete_chat(chat_id))
        self._chats.discard(lambda key: key == chat_id)
        self._views.discard(lambda key: key == chat_id)

    # -- chat reads -----------------------------------------------------------------------------

    def get_chat(self, chat_id: str) -> Chat:
        if chat_id in self.outbox.deleted_chats():
            raise NotFound(f"chat not found: {chat_id}")
        try:
            chat = self.spool.get_chat(chat_id)
        except NotFound:
            try:
                chat = self._cloud(lambda db: db.get_chat(chat_id))
            except Down:
                chat = self._chats.get(chat_id)
                if chat is None:
                    raise self._unavailable() from None
        self._chats.put(chat_id, chat, 1)
        return chat

    def chat_view(self, chat_id: str) -> ChatView:
        """The cloud's rows (or, while it is down, the last ones read) overlaid with the spool's."""
        chat = self.get_chat(chat_id)
        try:
            cloud = ChatView(chat, *self._cloud(lambda db: db.chat_rows(chat_id)))
            self._views.put(chat_id, cloud, 1)
        except Down:
            cloud = self._views.get(chat_id) or ChatView(chat, [], [], [])
        messages, images, results = self.spool.chat_rows(chat_id)
        return ChatView(
            chat=chat,
            messages=_overlay(cloud.messages, messages, lambda m: (m.created_at, m.id)),
            images=_overlay(cloud.images, images, lambda i: (i.created_at, i.id)),
            search_results=_overlay(cloud.search_results, results, lambda r: (r.created_at, r.rank)),
        )

    def list_chats(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0, text: str | None = None
    ) -> list[ChatSummary]:
        """The cloud's list, where every chat with rows in the spool (or, while the cloud is down,
        every chat this process remembers) is listed from its merged rows instead; newest first."""
        merged, deleted = self.outbox.spooled_chats(), self.outbox.deleted_chats()
        try:
            wanted = offset + limit + len(merged | deleted)  # enough to fill the page without them
            cloud = self._cloud(lambda db: db.list_chats(user_id=user_id, limit=wanted, text=text))
            listed = [c for c in cloud if c.id not in merged | deleted]
        except Down:
            listed, merged = [], merged | self._remembered()
        listed += self._merged_history(
            merged - deleted, lambda conn, ids: history.summaries(
                conn, user_id=user_id, text=text, limit=offset + limit, offset=0, chat_ids=ids), [])
        chats = sorted(listed, key=lambda c: (c.updated_at, c.id), reverse=True)
        return chats[offset : offset + limit]

    def count_chats(self, *, user_id: str | None = None, text: str | None = None) -> int:
        merged, deleted = self.outbox.spooled_chats(), self.outbox.deleted_chats()
        try:
            count = self._cloud(lambda db: db.count_chats(user_id=user_id, text=text))
            count -= len(self._cloud(lambda db: db.chats_kept(merged | deleted, user_id=user_id, text=text)))
        except Down:
            count, merged = 0, merged | self._remembered()
        return count + self._merged_history(
            merged - deleted, lambda conn, ids: history.count(conn, user_id=user_id, text=text, chat_ids=ids), 0)

    def _remembered(self) -> set[str]:
        """The chats this process has shown or written: History while the cloud is down."""
        return {view.chat.id for view in self._views.values()}

    def _merged_history(self, chat_ids: Collection[str], query: Callable[[Connection, list[str]], T], empty: T) -> T:
        """History's ``query`` over these chats' merged rows (``chat_view``), written to the spool
        as sync would write them, in a transaction that is rolled back. A chat that cannot be read
        now (the cloud is away and this process never read it) is left out."""
        views = []
        for chat_id in sorted(chat_ids):
            try:
                views.append(self.chat_view(chat_id))
            except (NotFound, BackendUnavailable):
                continue
        if not views:
            return empty
        with self.spool.rolled_back() as conn:
            for view in views:
                apply_write(conn, Write.save(schema.chats, [view.chat.__dict__], view.chat.id))
                if view.messages:
                    latest = max(m.created_at for m in view.messages)
                    rows = [m.__dict__ for m in view.messages]
                    apply_write(conn, Write.save(schema.chat_messages, rows, view.chat.id, touch=latest))
            return query(conn, [view.chat.id for view in views])

    def chat_documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        names = self.spool.chat_documents(chat_ids)
        try:
            for chat_id, found in self._cloud(lambda db: db.chat_documents(chat_ids)).items():
                names[chat_id] = list(dict.fromkeys(found + names[chat_id]))  # the cloud's order, then the spool's
        except Down:
            pass
        return names

    # -- documents ------------------------------------------------------------------------------

    def insert_document(self, document: DocumentInfo, pages: Sequence[PageInfo], blocks: Sequence[StoredBlock]) -> None:
        """To the cloud and the mirror; while the cloud is away, to the mirror with an outbox item."""
        if not self.outbox.waiting("database"):
            try:
                self._cloud(lambda db: db.insert_document(document, pages, blocks))
                self.mirror.add(document, pages, blocks)
                return
            except Down:
                pass
        # The item first: a crash before the rows leaves an item that finds nothing to push (and is
        # dropped), never rows that nothing would push.
        self.outbox.queue("database", "document", {"document_id": document.id})
        try:
            self.mirror.db.insert_document(document, pages, blocks)
        except BaseException:
            self.outbox.drop_document(document.id)
            raise
        log.info("queued: document %s waits for the database", document.id)
        self.on_queued()

    def _document_read(self, read: Callable[[Database], T]) -> T:
        """From the cloud; from the mirror while the cloud is down or when the document waits to be
        pushed (the cloud does not know it yet)."""
        try:
            found = self._cloud(read)
        except (Down, NotFound):
            return read(self.mirror.db)
        return found if found else read(self.mirror.db)

    def get_document(self, document_id: str) -> DocumentInfo:
        return self._document_read(lambda db: db.get_document(document_id))

    def document_pages(self, document_id: str) -> list[PageInfo]:
        return self._document_read(lambda db: db.document_pages(document_id))

    def page_info(self, document_id: str, number: int) -> PageInfo | None:
        return self._document_read(lambda db: db.page_info(document_id, number))

    def page_blocks(self, document_id: str, page: int) -> list[BlockRecord]:
        return self._document_read(lambda db: db.page_blocks(document_id, page))

    def sheet_codes(self, document_ids: Sequence[str]) -> dict[str, list[str]]:
        return self._document_read(lambda db: db.sheet_codes(document_ids))

    def document_by_sha256(self, sha256: str) -> DocumentInfo | None:
        """The mirror knows the cloud's files (as of its last refresh) and those waiting to be pushed;
        the cloud is asked for the rest."""
        found = self.mirror.db.document_by_sha256(sha256)
        if found is None:
            try:
                found = self._cloud(lambda db: db.document_by_sha256(sha256))
            except Down:
                return None
        return found

    def list_documents(self, *, limit: int = 1000, offset: int = 0) -> list[DocumentInfo]:
        try:
            listed = self._cloud(lambda db: db.list_documents(limit=offset + limit))
        except Down:
            return self.mirror.db.list_documents(limit=limit, offset=offset)
        waiting = self.outbox.waiting_documents()
        pending = [d for d in self.mirror.db.list_documents(limit=offset + limit) if d.id in waiting]
        ordered = sorted([*listed, *pending], key=lambda d: (-d.created_at.timestamp(), d.id))
        return ordered[offset : offset + limit]

    def delete_document(self, document_id: str) -> None:
        if document_id in self.outbox.waiting_documents():
            self.outbox.drop_document(document_id)
        else:
            try:
                self._cloud(lambda db: db.delete_document(document_id))
            except Down:
                raise self._unavailable() from None
        self.mirror.remove(document_id)

    # -- search ---------------------------------------------------------------------------------

    def _search(self, read: Callable[[Database], T]) -> T:
        """Search runs in the cloud when it answers, else in the mirror; with an empty mirror it
        says the cloud is away rather than that nothing matched."""
        try:
            return self._cloud(read)
        except Down:
            if not self.mirror.db.list_documents(limit=1):
                raise self._unavailable() from None
            return read(self.mirror.db)

    def term_frequencies(self, terms: Sequence[str], document_ids: Sequence[str] | None = None) -> dict[str, int]:
        return self._search(lambda db: db.term_frequencies(terms, document_ids))

    def best_blocks(
        self, weighted: Sequence[tuple[str, float]], document_ids: Sequence[str] | None = None, limit: int = 300
    ) -> list[int]:
        return self._search(lambda db: db.best_blocks(weighted, document_ids, limit))

    def block_statistics(self, document_ids: Sequence[str] | None = None) -> tuple[int, float]:
        return self._search(lambda db: db.block_statistics(document_ids))

    def blocks_for_ranking(self, block_ids: Sequence[int]) -> list[BlockRecord]:
        return self._search(lambda db: db.blocks_for_ranking(block_ids))

    # -- dense vectors ---------------------------------------------------------------------------
    # Vectors are derived data: nothing waits in the outbox for them. The cloud's are made while it
    # answers and copied into the mirror; the mirror's own (made while the cloud was away) go up
    # with their document when it is pushed; a store missing some has them in its backlog.

    def vector_backlog(self, model: str, limit: int) -> list[BlockText]:
        """The cloud's backlog while it answers, then the mirror's: a mirrored document takes the
        cloud's vectors when the cloud has them, and only what neither has is embedded."""
        try:
            waiting = self._cloud(lambda db: db.vector_backlog(model, limit))
        except Down:
            return self.mirror.db.vector_backlog(model, limit)
        if waiting:
            return waiting
        for _ in range(COPY_ROUNDS):  # bounded: the indexer's thread must stay quick to stop
            mine = self.mirror.db.vector_backlog(model, limit)
            if not mine:
                return []
            wanted = {(block.document_id, block.block_key) for block in mine}
            copied = []
            for document_id in dict.fromkeys(block.document_id for block in mine):
                try:
                    theirs = self._cloud(lambda db: db.document_vectors(document_id)).get(model, [])
                except Down:
                    return mine
                copied += [v for v in theirs if (v.document_id, v.block_key) in wanted]
            if not copied:
                return mine
            self.mirror.db.save_vectors(model, copied)
        return []  # more to copy: the indexer looks again soon

    def save_vectors(self, model: str, vectors: Sequence[BlockVector]) -> None:
        try:
            self._cloud(lambda db: db.save_vectors(model, vectors))
        except Down:
            pass  # the cloud's backlog keeps them until it answers
        self.mirror.db.save_vectors(model, vectors)

    def nearest_blocks(
        self, model: str, query: np.ndarray, document_ids: Sequence[str] | None = None, limit: int = 50
    ) -> list[tuple[int, float]]:
        return self._search(lambda db: db.nearest_blocks(model, query, document_ids, limit))

    def dense_progress(self, model: str, document_ids: Sequence[str]) -> list[DenseProgress]:
        """The cloud's count; the mirror's for a document waiting to be pushed or while it is away."""
        try:
            theirs = self._cloud(lambda db: db.dense_progress(model, document_ids))
        except Down:
            return self.mirror.db.dense_progress(model, document_ids)
        unknown = [p.document_id for p in theirs if not p.total]  # not in the cloud yet
        mine = {p.document_id: p for p in self.mirror.db.dense_progress(model, unknown)} if unknown else {}
        return [mine.get(p.document_id, p) for p in theirs]

    # -- sync -----------------------------------------------------------------------------------

    def push(self, item: OutboxItem) -> None:
        """Replay one waiting item on the cloud (idempotent: see ``writes``)."""
        if item.kind == "document":
            self._push_document(item.payload["document_id"])
        else:
            self.cloud.apply(Write.from_payload(item.payload))

    def _push_document(self, document_id: str) -> None:
        try:
            document, pages, blocks = self.mirror.db.document_rows(document_id)
        except NotFound:
            return  # deleted before it was pushed
        if self.cloud.document_by_sha256(document.sha256) is None:
            try:
                self.cloud.insert_document(document, pages, blocks)
            except sa_exc.IntegrityError:
                if self.cloud.document_by_sha256(document.sha256) is None:
                    raise  # not the same file pushed twice: something to look at
        for model, vectors in self.mirror.db.document_vectors(document_id).items():
            self.cloud.save_vectors(model, vectors)

    def synced(self) -> None:
        """Everything waiting was pushed: bring the mirror level with the cloud's documents, in the
        background (``mirror``)."""
        self.refresher.wake()

    def level_mirror(self) -> None:
        """Bring the mirror level now, in this thread (the ``sync`` command)."""
        self.refresher.run_now()

    def mirror_holds(self) -> tuple[int, int]:
        """How many of the cloud's documents the mirror holds, and how many the cloud has."""
        return self.mirror.holds(self.cloud)


_RECORDS: dict[str, type] = {"chats": Chat, "chat_messages": Message, "chat_images": ChatImage, "search_results": SearchResult}


def _overlay(cloud: list[T], spooled: list[T], order: Callable[[T], Any]) -> list[T]:
    """Rows by id, the spool's version winning (it is the newer), in ``order``."""
    merged = {row.id: row for row in cloud} | {row.id: row for row in spooled}  # type: ignore[attr-defined]
    return sorted(merged.values(), key=order)
