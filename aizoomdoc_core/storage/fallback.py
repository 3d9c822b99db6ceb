"""Never lose a chat: the cloud stores, with a local spool and an outbox behind them.

With PostgreSQL or S3 configured, the app reaches it through the two stores here. A write the cloud
does not take (connection refused or dropped, timeout, 5xx) lands in the spool instead (a SQLite
database and a blob folder under ``<data dir>/spool``) together with an outbox row saying what to
replay. While items of a lane (``database`` or ``blobs``) wait, new writes of that lane queue behind
them, so the cloud receives them in the order they were made: a message never arrives before its
chat. ``CloudSync.run`` (the ``sync`` command, a background thread in the app, and every start)
pushes the waiting items oldest first once the backend answers again, and empties the spool when
nothing waits any more.

Reads merge: a chat's rows come from the cloud overlaid with the spool's newer rows. While a backend
is down, reads skip it (no timeout per click) and show the spool plus what this process last read
of each chat. Ids are made by the application and saves are upserts (``writes``), so an item that
is pushed twice lands once.

Documents are read from the cloud, and from the mirror (``mirror``: a local copy of their rows,
and a folder of their files) while the cloud is down: search, pages and renders keep working. A
document ingested while the database is away goes into the mirror and is pushed with its pages and
blocks; a file uploaded while S3 is away waits in the spool's blob folder and is served from there.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ..errors import BackendUnavailable, NotFound
from ..lru import SizedLRU
from ..models import BackendStatus, Chat, ChatImage, ChatSummary, ChatView, DocumentInfo, Message, SearchResult
from . import schema
from .blobs import BlobStore, LocalBlobStore, check_key
from .db import Database
from .mirror import DocumentMirror
from .writes import ChatWrites, Write, apply_write

log = logging.getLogger("aizoomdoc.sync")

T = TypeVar("T")
RECENT_BYTES = 128 * 1024**2
MAX_BACKOFF = 60.0  # seconds between retries of a backend that stays down
IDLE_INTERVAL = 30.0  # seconds between checks of the outbox when nothing happens
BATCH = 100
_SPOOL_TABLES = (schema.search_results, schema.chat_images, schema.chat_messages, schema.chats)


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the backend could not be reached (worth a retry), not that it refused."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
        return True
    from botocore import exceptions as boto

    if isinstance(exc, (boto.ConnectionError, boto.HTTPClientError)):
        return True
    if isinstance(exc, boto.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or exc.response.get("Error", {}).get("Code") in ("SlowDown", "RequestTimeout")
    return False


class Down(Exception):
    """Raised inside this module when a read cannot go to the cloud right now."""


class Lane:
    """One cloud backend's health as this process sees it: up, or down until the next retry."""

    def __init__(self, name: str, kind: str, location: str, describe: Callable[[BaseException], str]) -> None:
        self.name, self.kind, self.location = name, kind, location  # "database", "postgresql", ...
        self.label = {"postgresql": "PostgreSQL", "s3": "S3"}.get(kind, kind)
        self.describe = describe
        self.up = True
        self.error: str | None = None
        self.failures = 0
        self.retry_at = 0.0
        self._lock = threading.Lock()

    def fail(self, exc: BaseException) -> None:
        """Mark the backend down; the first failure is logged, the retries back off up to a minute."""
        error = self.describe(exc)
        with self._lock:
            if self.up:
                log.warning("not connected: %s %s: %s; writing to the local spool", self.label, self.location, error)
            self.up, self.error = False, error
            self.failures += 1
            self.retry_at = time.monotonic() + min(MAX_BACKOFF, 2.0 ** (self.failures - 1))

    def recover(self) -> None:
        with self._lock:
            if not self.up:
                log.info("client initialized: %s %s answers again", self.label, self.location)
            self.up, self.error, self.failures = True, None, 0

    def attempt(self, act: Callable[[], T]) -> T:
        """``act()`` on the backend; ``Down`` when it is known to be down or does not answer now
        (which marks it down), any other failure as it is."""
        if not self.up:
            raise Down
        try:
            return act()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.fail(exc)
            raise Down from exc

    def due(self) -> bool:
        """Whether the backend is up or its next retry has come."""
        return self.up or time.monotonic() >= self.retry_at

    def status(self) -> BackendStatus:
        return BackendStatus(self.name, self.kind, True, self.up, True, self.location, self.error)


@dataclass
class OutboxItem:
    id: int
    lane: str
    kind: str
    chat_id: str | None
    payload: dict[str, Any]


class Outbox:
    """The queue of writes waiting for the cloud, in the spool database (table ``outbox``)."""

    def __init__(self, spool: Database) -> None:
        self.spool = spool

    def add(self, conn: Connection, lane: str, kind: str, payload: dict[str, Any], chat_id: str | None = None) -> None:
        """Queue an item inside the caller's spool transaction, so the spooled rows and their item
        are written together or not at all."""
        conn.execute(schema.outbox.insert().values(
            lane=lane, kind=kind, chat_id=chat_id, payload=payload, created_at=datetime.now(timezone.utc),
        ))

    def queue(self, lane: str, kind: str, payload: dict[str, Any], chat_id: str | None = None) -> None:
        with self.spool.write() as conn:
            self.add(conn, lane, kind, payload, chat_id)

    def counts(self) -> dict[str, int]:
        """How many items wait per lane, and how many failed for good (``failed``)."""
        o = schema.outbox
        query = sa.select(o.c.lane, o.c.state, sa.func.count()).group_by(o.c.lane, o.c.state)
        counts = {"database": 0, "blobs": 0, "failed": 0}
        with self.spool.read() as conn:
            for lane, state, n in conn.execute(query):
                counts["failed" if state == "failed" else lane] += int(n)
        return counts

    def waiting(self, lane: str) -> bool:
        o = schema.outbox
        query = sa.select(o.c.id).where(o.c.lane == lane, o.c.state == "waiting").limit(1)
        with self.spool.read() as conn:
            return conn.execute(query).first() is not None

    def items(self, lane: str, *, kind: str | None = None, limit: int = BATCH) -> list[OutboxItem]:
        """The oldest waiting items of ``lane``."""
        o = schema.outbox
        query = sa.select(o.c.id, o.c.lane, o.c.kind, o.c.chat_id, o.c.payload).where(o.c.lane == lane, o.c.state == "waiting")
        if kind is not None:
            query = query.where(o.c.kind == kind)
        with self.spool.read() as conn:
            return [OutboxItem(*row) for row in conn.execute(query.order_by(o.c.id).limit(limit))]

    def waiting_documents(self) -> set[str]:
        """Documents ingested while the database was away, kept in the mirror until pushed."""
        return {str(i.payload["document_id"]) for i in self.items("database", kind="document", limit=100_000)}

    def drop_document(self, document_id: str) -> None:
        self.remove([i.id for i in self.items("database", kind="document", limit=100_000)
                     if i.payload["document_id"] == document_id])

    def deleted_chats(self) -> set[str]:
        """Chats whose deletion waits: the cloud still has them, reads must not show them."""
        o = schema.outbox
        query = sa.select(o.c.chat_id).where(o.c.lane == "database", o.c.kind == "delete_chat", o.c.state == "waiting")
        with self.spool.read() as conn:
            return {str(v) for v in conn.execute(query).scalars()}

    def remove(self, item_ids: Sequence[int]) -> None:
        with self.spool.write() as conn:
            conn.execute(schema.outbox.delete().where(schema.outbox.c.id.in_(list(item_ids))))

    def give_up(self, item_id: int, error: str) -> None:
        """An item the cloud refuses (not an outage): kept, with its spooled data, for a person to see."""
        o = schema.outbox
        with self.spool.write() as conn:
            conn.execute(o.update().where(o.c.id == item_id).values(state="failed", last_error=error, attempts=o.c.attempts + 1))

    def empty_spool(self) -> bool:
        """Delete the spool's rows when no item waits or failed: everything is in the cloud."""
        with self.spool.write() as conn:  # BEGIN IMMEDIATE: no item can be queued meanwhile
            if conn.execute(sa.select(sa.func.count()).select_from(schema.outbox)).scalar_one():
                return False
            for table in _SPOOL_TABLES:
                conn.execute(table.delete())
        return True


class FallbackDatabase(ChatWrites):
    """The ``Database`` interface over the cloud database, with the spool behind it."""

    def __init__(self, cloud: Database, spool: Database, mirror: DocumentMirror, outbox: Outbox, lane: Lane) -> None:
        self.cloud, self.spool, self.mirror, self.outbox, self.lane = cloud, spool, mirror, outbox, lane
        self.kind = cloud.kind
        self.on_queued: Callable[[], None] = lambda: None
        # What this process last read or wrote, shown while the cloud is down (bounded by count).
        self._chats = SizedLRU(1000)
        self._views = SizedLRU(64)
        self._migrated = False

    @property
    def location(self) -> str:
        return self.cloud.location

    def close(self) -> None:
        self.cloud.close()
        self.mirror.db.close()

    def ping(self) -> None:
        self.cloud.ping()

    def refresh_mirror(self) -> None:
        self.mirror.refresh(self.cloud, keep=self.outbox.waiting_documents())

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
        """Both lists merged newest first; a chat in both shows the spool's (newer) title."""
        wanted = dict(user_id=user_id, limit=offset + limit, offset=0, text=text)
        spooled = {c.id: c for c in self.spool.list_chats(**wanted)}
        try:
            listed = self._cloud(lambda db: db.list_chats(**wanted))
        except Down:
            listed = self._remembered_summaries(user_id, text)
        deleted = self.outbox.deleted_chats()
        merged = {c.id: c for c in listed}
        for chat_id, chat in spooled.items():
            known = merged.get(chat_id)
            merged[chat_id] = replace(chat, message_count=max(chat.message_count, known.message_count),
                                      first_question=known.first_question or chat.first_question) if known else chat
        chats = sorted((c for c in merged.values() if c.id not in deleted),
                       key=lambda c: (c.updated_at, c.id), reverse=True)
        return chats[offset : offset + limit]

    def _remembered_summaries(self, user_id: str | None, text: str | None) -> list[ChatSummary]:
        """History while the cloud is down: the chats this process has shown or written."""
        summaries = []
        for view in self._views.values():
            merged = self.chat_view(view.chat.id)
            contents = [merged.chat.title, *(m.content for m in merged.messages)]
            if (user_id is not None and merged.chat.user_id != user_id) or (
                text and not any(text.lower() in c.lower() for c in contents)
            ):
                continue
            questions = [m.content for m in merged.messages if m.role == "user"]
            chat = merged.chat
            summaries.append(ChatSummary(chat.id, chat.title, chat.user_id, chat.created_at,
                                         max([chat.updated_at, *(m.created_at for m in merged.messages)]),
                                         sum(m.role != "tool" for m in merged.messages),
                                         questions[0] if questions else None))
        return summaries

    def count_chats(self, *, user_id: str | None = None, text: str | None = None) -> int:
        spooled = {c.id for c in self.spool.list_chats(user_id=user_id, limit=10_000, text=text)}
        deleted = self.outbox.deleted_chats()
        try:
            count = self._cloud(lambda db: db.count_chats(user_id=user_id, text=text))
            in_cloud = self._cloud(lambda db: db.chat_ids_present(list(spooled | deleted)))
        except Down:
            return len((spooled | {c.id for c in self._remembered_summaries(user_id, text)}) - deleted)
        return count + len(spooled - in_cloud) - len(deleted & in_cloud)

    def chat_documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        names = self.spool.chat_documents(chat_ids)
        try:
            for chat_id, found in self._cloud(lambda db: db.chat_documents(chat_ids)).items():
                names[chat_id] = sorted(set(names[chat_id]) | set(found))
        except Down:
            pass
        return names

    # -- documents ------------------------------------------------------------------------------

    def insert_document(
        self, document: dict[str, Any], pages: Sequence[dict[str, Any]], blocks: Sequence[dict[str, Any]]
    ) -> None:
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
        self.outbox.queue("database", "document", {"document_id": document["id"]})
        try:
            self.mirror.db.insert_document(document, pages, blocks)
        except BaseException:
            self.outbox.drop_document(document["id"])
            raise
        log.info("queued: document %s waits for the database", document["id"])
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

    def document_pages(self, document_id: str) -> list[dict[str, Any]]:
        return self._document_read(lambda db: db.document_pages(document_id))

    def page_row(self, document_id: str, number: int) -> dict[str, Any] | None:
        return self._document_read(lambda db: db.page_row(document_id, number))

    def page_blocks(self, document_id: str, page: int) -> list[dict[str, Any]]:
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
        self, weighted: Sequence[tuple[int, str, float]], document_ids: Sequence[str] | None = None, limit: int = 300
    ) -> list[int]:
        return self._search(lambda db: db.best_blocks(weighted, document_ids, limit))

    def block_statistics(self, document_ids: Sequence[str] | None = None) -> tuple[int, float]:
        return self._search(lambda db: db.block_statistics(document_ids))

    def blocks_for_ranking(self, block_ids: Sequence[int]) -> list[dict[str, Any]]:
        return self._search(lambda db: db.blocks_for_ranking(block_ids))

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
        if self.cloud.document_by_sha256(document["sha256"]) is None:
            try:
                self.cloud.insert_document(document, pages, [{k: v for k, v in b.items() if k != "id"} for b in blocks])
            except sa_exc.IntegrityError:
                if self.cloud.document_by_sha256(document["sha256"]) is None:
                    raise  # not the same file pushed twice: something to look at


_RECORDS: dict[str, type] = {"chats": Chat, "chat_messages": Message, "chat_images": ChatImage, "search_results": SearchResult}


def _overlay(cloud: list[T], spooled: list[T], order: Callable[[T], Any]) -> list[T]:
    """Rows by id, the spool's version winning (it is the newer), in ``order``."""
    merged = {row.id: row for row in cloud} | {row.id: row for row in spooled}  # type: ignore[attr-defined]
    return sorted(merged.values(), key=order)


class FallbackBlobStore:
    """The ``BlobStore`` interface over an S3 bucket, with the spool's blob folder behind it."""

    kind = "s3"

    def __init__(self, cloud: BlobStore, spool: LocalBlobStore, files: LocalBlobStore, outbox: Outbox, lane: Lane) -> None:
        self.cloud, self.spool, self.files, self.outbox, self.lane = cloud, spool, files, outbox, lane
        self.on_queued: Callable[[], None] = lambda: None
        # Chat images this process wrote to or read from the bucket lately, served while it is away;
        # document files are kept on disk instead (``files``, the mirror's folder): they are what
        # every render reads, and what a question needs while the bucket is away.
        self.recent = SizedLRU(RECENT_BYTES)

    @property
    def location(self) -> str:
        return self.lane.location

    def connect(self) -> None:
        self.cloud.ping()

    def ping(self) -> None:
        self.cloud.ping()

    def _cloud(self, act: Callable[[BlobStore], T]) -> T:
        return self.lane.attempt(lambda: act(self.cloud))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if not self.outbox.waiting("blobs"):
            try:
                self._cloud(lambda s3: s3.put(key, data, content_type))
                self._keep(key, data)
                return
            except Down:
                pass
        self.spool.put(key, data, content_type)
        self.outbox.queue("blobs", "put", {"key": key, "content_type": content_type}, _chat_of(key))
        log.info("queued: %s waits for the blob store", key)
        self.on_queued()

    def _keep(self, key: str, data: bytes) -> None:
        if key.startswith("documents/"):
            self.files.put(key, data, "application/octet-stream")
        else:
            self.recent.put(key, data, len(data))

    def get(self, key: str) -> bytes:
        for local in (self.spool, self.files):
            if local.exists(key):
                return local.get(key)
        try:
            data = self._cloud(lambda s3: s3.get(key))
        except Down:
            data = self.recent.get(key)
            if data is not None:
                return data
            raise BackendUnavailable(f"the blob store is unreachable ({self.lane.error}); try again when it answers") from None
        self._keep(key, data)
        return data

    def exists(self, key: str) -> bool:
        if self.spool.exists(key):
            return True
        try:
            return self._cloud(lambda s3: s3.exists(key))
        except Down:
            return False

    def url(self, key: str) -> str:
        """The spooled file while it waits, else a presigned URL (signing needs no network)."""
        return self.spool.url(key) if self.spool.exists(key) else self.cloud.url(key)

    def keys(self, prefix: str = "") -> list[str]:
        try:
            listed = self._cloud(lambda s3: s3.keys(prefix))
        except Down:
            listed = []
        return sorted(set(listed) | set(self.spool.keys(prefix)))

    def delete(self, key: str) -> None:
        self._forget(check_key(key), exact=True)

    def delete_prefix(self, prefix: str) -> int:
        return self._forget(check_key(prefix), exact=False)

    def _forget(self, key: str, *, exact: bool) -> int:
        """Drop spooled uploads of the key(s), then delete in the cloud, or queue the deletion."""
        matches = (lambda k: k == key) if exact else (lambda k: k.startswith(key))
        self.recent.discard(matches)
        self.outbox.remove([i.id for i in self.outbox.items("blobs", kind="put", limit=100_000) if matches(i.payload["key"])])
        count = 0
        if exact:
            self.spool.delete(key)
            self.files.delete(key)
        else:
            count = self.spool.delete_prefix(key)
            self.files.delete_prefix(key)
        try:
            if self.outbox.waiting("blobs"):
                raise Down
            return count + int(self._cloud(lambda s3: s3.delete(key) if exact else s3.delete_prefix(key)) or 0)
        except Down:
            self.outbox.queue("blobs", "delete" if exact else "delete_prefix", {"key": key}, _chat_of(key))
            self.on_queued()
            return count

    def push(self, item: OutboxItem) -> None:
        key = item.payload["key"]
        if item.kind == "put":
            if self.spool.exists(key):
                data = self.spool.get(key)
                self.cloud.put(key, data, item.payload["content_type"])
                self._keep(key, data)
                self.spool.delete(key)
        elif item.kind == "delete":
            self.cloud.delete(key)
        else:
            self.cloud.delete_prefix(key)


def _chat_of(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "chats" else None


@dataclass
class SyncReport:
    """What one sync did and what still waits."""

    pushed: int = 0
    waiting: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class CloudSync:
    """Pushes the outbox to the cloud, oldest first, lane by lane; one run at a time per process."""

    def __init__(self, outbox: Outbox, stores: Sequence[FallbackDatabase | FallbackBlobStore]) -> None:
        self.outbox = outbox
        self.stores = list(stores)
        self._lock = threading.Lock()

    def run(self, *, force: bool = False) -> SyncReport:
        """Push what waits; ``force`` retries a down backend now instead of at its backoff time."""
        report = SyncReport()
        with self._lock:
            for store in self.stores:
                self._drain(store, force, report)
            if self.outbox.empty_spool() and report.pushed:
                log.info("sync: the spool is empty, everything is in the cloud")
        report.waiting = self.outbox.counts()
        return report

    def _drain(self, store: FallbackDatabase | FallbackBlobStore, force: bool, report: SyncReport) -> None:
        lane = store.lane
        if not lane.up:
            if not (force or lane.due()):
                report.unreachable.append(f"{lane.label}: {lane.error}")
                return
            try:
                store.connect()
                lane.recover()
            except Exception as exc:
                lane.fail(exc)
                report.unreachable.append(f"{lane.label}: {lane.error}")
                return
        while items := self.outbox.items(lane.name):
            for item in items:
                try:
                    store.push(item)
                except Exception as exc:
                    if is_outage(exc):
                        lane.fail(exc)
                        report.unreachable.append(f"{lane.label}: {lane.error}")
                        return
                    error = lane.describe(exc)
                    log.error("sync of %s item %d (%s) refused: %s", lane.name, item.id, item.kind, error)
                    self.outbox.give_up(item.id, error)
                    report.errors.append(f"{lane.name} item {item.id} ({item.kind}): {error}")
                    continue
                self.outbox.remove([item.id])
                report.pushed += 1
        if report.pushed:
            log.info("sync: %s is up to date", lane.label)
        if isinstance(store, FallbackDatabase):
            store.refresh_mirror()


class BackgroundSync:
    """A daemon thread that runs ``CloudSync`` when items are queued and retries down backends."""

    def __init__(self, sync: CloudSync) -> None:
        self.sync = sync
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aizoomdoc-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _delay(self) -> float:
        down = [s.lane.retry_at for s in self.sync.stores if not s.lane.up]
        return max(0.2, min(down) - time.monotonic()) if down else IDLE_INTERVAL

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._delay())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.sync.run()
            except Exception:  # keep retrying; the next run reports again
                log.exception("background sync failed")
