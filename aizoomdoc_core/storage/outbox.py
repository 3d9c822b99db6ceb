"""The outbox: writes waiting in the local spool for the cloud, oldest first, per lane.

The spool is a SQLite ``Database`` under ``<data dir>/spool`` holding the rows written while the
cloud was away, and its table ``outbox`` says what to replay: an item per change, in the lane of
the backend it waits for (``database`` or ``blobs``). An item is queued in the same transaction as
its spooled rows, so neither exists without the other. ``sync.CloudSync`` pushes the items and,
when nothing waits or failed any more, empties the spool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .db import Database

BATCH = 100
_SPOOL_TABLES = (schema.search_results, schema.chat_images, schema.chat_messages, schema.chats)


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

    def spooled_chats(self) -> set[str]:
        """Chats with a chat row or a message in the spool: the cloud's summary of them is not the
        whole story until they are pushed."""
        c, m = schema.chats, schema.chat_messages
        query = sa.union(sa.select(c.c.id.label("chat_id")), sa.select(m.c.chat_id))
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
