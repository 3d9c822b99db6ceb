"""Alembic's migrations create exactly the schema the runtime uses, up and down, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database

TABLES = {"documents", "pages", "blocks", "chats", "chat_messages", "chat_images", "search_results", "outbox"}


def _differences(db: Database) -> list[object]:
    with db.read() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, parent: name not in schema.NATIVE_SEARCH_OBJECTS,
            },
        )
        return compare_metadata(context, schema.metadata)


def test_migrated_database_matches_the_schema(db: Database) -> None:
    assert db.schema_revision() == "004"
    assert _differences(db) == []
    with db.read() as conn:
        inspector = sa.inspect(conn)
        assert TABLES <= set(inspector.get_table_names())
        leading = {t: {ix["column_names"][0] for ix in inspector.get_indexes(t)} for t in TABLES}
    assert {"user_id", "created_at"} <= leading["chats"]
    for table in ("chat_messages", "chat_images", "search_results"):
        assert "chat_id" in leading[table]


def test_down_and_up_again(db: Database) -> None:
    db.downgrade("base")
    with db.read() as conn:
        assert not TABLES & set(sa.inspect(conn).get_table_names())
    db.migrate()
    db.migrate()  # a second run is a no-op
    assert db.schema_revision() == "004" and _differences(db) == []
