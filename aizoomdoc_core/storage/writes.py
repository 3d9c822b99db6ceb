"""Changes to chat data as values: applied to a database now, or queued in the outbox and replayed.

Every change a chat goes through is one of two kinds: save whole rows (a chat, a message, an image
row, search results), or delete a chat. A save is an upsert keyed by the row's id, which the
application made before writing: replaying a change that already landed (a commit whose
acknowledgement was lost with the connection, a sync interrupted half-way) writes the same row
again instead of a second one. Saving a message moves its chat's last activity forward, never back,
so the replay is harmless there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..models import Chat, ChatImage, Message, SearchResult
from . import schema

CHAT_TABLES = {t.name: t for t in (schema.chats, schema.chat_messages, schema.chat_images, schema.search_results)}
_CHILD_TABLES = (schema.search_results, schema.chat_images, schema.chat_messages)


@dataclass(frozen=True)
class Write:
    """One change to one chat's rows."""

    kind: str  # "save" or "delete_chat"
    chat_id: str
    table: str = ""
    rows: tuple[dict[str, Any], ...] = ()
    touch: datetime | None = None  # a saved message's time: the chat's updated_at moves up to it

    @classmethod
    def save(cls, table: sa.Table, rows: Sequence[dict[str, Any]], chat_id: str, *, touch: datetime | None = None) -> Write:
        return cls("save", chat_id, table.name, tuple(dict(r) for r in rows), touch)

    @classmethod
    def delete_chat(cls, chat_id: str) -> Write:
        return cls("delete_chat", chat_id)

    def to_payload(self) -> dict[str, Any]:
        """The change as JSON (datetimes tagged), for the outbox."""
        return {
            "kind": self.kind, "chat_id": self.chat_id, "table": self.table,
            "rows": [{k: _encode(v) for k, v in row.items()} for row in self.rows],
            "touch": _encode(self.touch),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Write:
        return cls(
            payload["kind"], payload["chat_id"], payload["table"],
            tuple({k: _decode(v) for k, v in row.items()} for row in payload["rows"]),
            _decode(payload["touch"]),
        )


class ChatWrites:
    """The chat-saving methods of a store, each one ``Write`` handed to the store's ``apply``."""

    def apply(self, write: Write) -> int:
        raise NotImplementedError

    def save_chat(self, chat: Chat) -> None:
        self.apply(Write.save(schema.chats, [chat.__dict__], chat.id))

    def save_message(self, message: Message) -> None:
        """Insert or replace the message; its chat's last activity moves up to the message's time."""
        self.apply(Write.save(schema.chat_messages, [message.__dict__], message.chat_id, touch=message.created_at))

    def save_image(self, image: ChatImage) -> None:
        self.apply(Write.save(schema.chat_images, [image.__dict__], image.chat_id))

    def save_search_results(self, results: Sequence[SearchResult]) -> None:
        if results:
            self.apply(Write.save(schema.search_results, [r.__dict__ for r in results], results[0].chat_id))


def apply_write(conn: Connection, write: Write) -> int:
    """Carry out ``write`` inside the caller's transaction; returns how many rows it touched."""
    if write.kind == "delete_chat":
        # Explicit deletes, children first, rather than trusting every backend's cascade setup.
        for table in _CHILD_TABLES:
            conn.execute(table.delete().where(table.c.chat_id == write.chat_id))
        return conn.execute(schema.chats.delete().where(schema.chats.c.id == write.chat_id)).rowcount
    table = CHAT_TABLES[write.table]
    _upsert(conn, table, list(write.rows))
    if write.touch is not None:
        chats = schema.chats
        conn.execute(
            chats.update()
            .where(chats.c.id == write.chat_id, chats.c.updated_at < write.touch)
            .values(updated_at=write.touch)
        )
    return len(write.rows)


def _upsert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT (id) DO UPDATE, in the dialect of the connection."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name != "id"},
    )
    conn.execute(statement, rows)


def _encode(value: Any) -> Any:
    return {"$datetime": value.isoformat()} if isinstance(value, datetime) else value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$datetime"}:
        return datetime.fromisoformat(value["$datetime"])
    return value
