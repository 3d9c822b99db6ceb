"""Alembic's migrations create exactly the schema the runtime uses, up and down, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.terms import index_terms
from tests.test_search import postings_astray, postings_of, store

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
    assert db.schema_revision() == "006"
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
    assert db.schema_revision() == "006" and _differences(db) == []


def test_postings_are_built_for_blocks_stored_before_them(pg_url: str) -> None:
    db = Database.postgresql(pg_url)
    try:
        db.migrate("004")
        store(db, ["Насос К1 насосы", "pump P-201", ""])
        db.migrate()
        assert postings_astray(db) == [] and postings_of(db, None) == len(set(index_terms("Насос К1 насосы"))) + 4
        assert db.term_frequencies(["насос", "~насос", "p-201", "201"]) == {"насос": 1, "~насос": 1, "p-201": 1, "201": 1}
    finally:
        db.close()
