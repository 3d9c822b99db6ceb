"""Alembic environment: migrations run on the connection the app hands over, or on the configured store.

``Database.migrate()`` passes a connection that already holds the migration lock (see
``aizoomdoc_core.storage.db``). Run from the Alembic command line, this file opens the database the
app's settings name, as ``python -m aizoomdoc_core migrate`` does (``aizoomdoc_core.migrate``), under
the same lock.
"""

from __future__ import annotations

from contextlib import closing

from alembic import context
from sqlalchemy.engine import Connection

from aizoomdoc_core.storage import schema


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        include_name=lambda name, kind, parent: name not in schema.NATIVE_SEARCH_OBJECTS,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_settings() -> None:
    """Migrate the database ``python -m aizoomdoc_core migrate`` would, under the migration lock."""
    from aizoomdoc_core.config import Settings
    from aizoomdoc_core.migrate import configured_database

    with closing(configured_database(Settings.load())) as db, db.migration_connection() as connection:
        run_on(connection)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")

given = context.config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    run_from_settings()
