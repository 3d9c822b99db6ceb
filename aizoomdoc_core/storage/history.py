"""History's list of chats, defined once in SQL: which chats a filter keeps and what each shows.

A chat is kept when it belongs to the user (if one is given) and its title or any of its messages
contains the text, in any case (SQLite's ``lower`` is Python's, see ``db``, so Cyrillic folds as on
PostgreSQL). Its summary counts its messages and shows its first question. The SQL store runs these
statements on its own tables; the fallback store runs the same statements on the spool, over the
merged rows of the chats whose rows are not all in the cloud, in a transaction it rolls back. So
History finds, counts and summarizes a chat the same way whether the cloud answers or not.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..models import ChatSummary
from . import schema


def summaries(
    conn: Connection, *, user_id: str | None, text: str | None, limit: int, offset: int,
    chat_ids: Collection[str] | None = None,
) -> list[ChatSummary]:
    """Chats newest first (by last activity), with their message count and first question."""
    c, m = schema.chats, schema.chat_messages
    message_count = sa.select(sa.func.count()).where(m.c.chat_id == c.c.id, m.c.role != "tool").scalar_subquery()
    first_question = (
        sa.select(m.c.content)
        .where(m.c.chat_id == c.c.id, m.c.role == "user")
        .order_by(m.c.created_at, m.c.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        sa.select(
            c.c.id, c.c.title, c.c.user_id, c.c.created_at, c.c.updated_at,
            message_count.label("message_count"), first_question.label("first_question"),
        )
        .order_by(c.c.updated_at.desc(), c.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ChatSummary(**row._mapping) for row in conn.execute(_kept(query, user_id, text, chat_ids))]


def count(conn: Connection, *, user_id: str | None, text: str | None, chat_ids: Collection[str] | None = None) -> int:
    query = _kept(sa.select(sa.func.count()).select_from(schema.chats), user_id, text, chat_ids)
    return int(conn.execute(query).scalar_one())


def kept_ids(conn: Connection, chat_ids: Collection[str], *, user_id: str | None, text: str | None) -> set[str]:
    """Which of these chats the filter keeps."""
    query = _kept(sa.select(schema.chats.c.id), user_id, text, chat_ids)
    return {str(v) for v in conn.execute(query).scalars()}


def _kept(
    query: sa.Select[Any], user_id: str | None, text: str | None, chat_ids: Collection[str] | None
) -> sa.Select[Any]:
    c, m = schema.chats, schema.chat_messages
    if chat_ids is not None:
        query = query.where(c.c.id.in_(list(chat_ids)))
    if user_id is not None:
        query = query.where(c.c.user_id == user_id)
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_messages = sa.select(m.c.id).where(m.c.chat_id == c.c.id, sa.func.lower(m.c.content).like(pattern, escape="\\"))
        query = query.where(sa.or_(sa.func.lower(c.c.title).like(pattern, escape="\\"), in_messages.exists()))
    return query
