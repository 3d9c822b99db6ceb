"""Migrating the configured database itself, the one way both migration entry points take.

``python -m aizoomdoc_core migrate`` and Alembic's own command line (``migrations/env.py`` run
without a connection) open the database the settings name with ``configured_database``. Migrating
is asked of the cloud, so this is never the local fallback the app would use when the cloud is down:
an unreachable PostgreSQL is an error here, not a reason to migrate SQLite instead.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass

from .config import Settings
from .storage.db import Database


@dataclass(frozen=True)
class SchemaState:
    """Where a migrated schema lives (password masked), on which engine, at which revision."""

    database: str
    kind: str
    revision: str | None


def configured_database(settings: Settings) -> Database:
    """PostgreSQL at ``DATABASE_URL`` when one is set, else the embedded SQLite."""
    if settings.database_url:
        return Database.postgresql(settings.database_url, settings.connect_timeout)
    return Database.sqlite(settings.sqlite_path)


def migrate_configured(settings: Settings) -> SchemaState:
    """Upgrade the configured database to the newest schema and say where it now stands."""
    with closing(configured_database(settings)) as db:
        db.migrate()
        return SchemaState(db.location, db.kind, db.schema_revision())
