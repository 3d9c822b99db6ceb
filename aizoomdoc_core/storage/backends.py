"""Choosing the storage at start: the cloud when it is configured and answers, local otherwise.

Each configured backend (PostgreSQL, S3) is tried once with a short timeout. One that fails is
reported in one line naming what failed (never a password), logged once, and replaced by the
embedded default (SQLite under the data directory, a blob folder beside it), so the app always
starts. The result records, per component, what is configured, what answered and what is in use:
``check`` prints it and the UI's sidebar shows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..config import Settings, describe_error
from ..models import BackendStatus
from .blobs import BlobStore, LocalBlobStore
from .db import Database

log = logging.getLogger("aizoomdoc.storage")


@dataclass
class Storage:
    db: Database
    blobs: BlobStore
    statuses: list[BackendStatus]

    @property
    def fallback(self) -> bool:
        """True when a configured cloud backend could not be used and local storage stands in."""
        return any(s.configured and not s.in_use for s in self.statuses)

    def close(self) -> None:
        self.db.close()


def open_database(settings: Settings) -> tuple[Database, list[BackendStatus]]:
    statuses: list[BackendStatus] = []
    if settings.database_configured:
        location = settings.database_url_redacted() or ""
        db: Database | None = None
        try:
            db = Database.postgresql(settings.database_url or "", settings.connect_timeout)
            db.ping()
            db.migrate()
            log.info("client initialized: PostgreSQL at %s", location)
            statuses.append(BackendStatus("database", "postgresql", True, True, True, location))
            return db, statuses
        except Exception as exc:  # any failure means: use the local default
            if db is not None:
                db.close()
            error = describe_error(exc, settings)
            log.warning("not connected: PostgreSQL at %s: %s; using local SQLite", location, error)
            statuses.append(BackendStatus("database", "postgresql", True, False, False, location, error))
    local = Database.sqlite(settings.sqlite_path)
    local.migrate()
    statuses.append(BackendStatus("database", "sqlite", False, True, True, str(settings.sqlite_path)))
    return local, statuses


def open_blobs(settings: Settings) -> tuple[BlobStore, list[BackendStatus]]:
    statuses: list[BackendStatus] = []
    if settings.s3_configured:
        from .s3 import S3BlobStore

        store = S3BlobStore(
            bucket=settings.s3_bucket or "",
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            addressing_style=settings.s3_addressing_style,
            timeout=settings.connect_timeout,
            presign_expiry=settings.presign_expiry,
        )
        try:
            store.ping()
            log.info("client initialized: S3 %s", store.location)
            statuses.append(BackendStatus("blobs", "s3", True, True, True, store.location))
            return store, statuses
        except Exception as exc:
            error = describe_error(exc, settings)
            log.warning("not connected: S3 %s: %s; using the local blob folder", store.location, error)
            statuses.append(BackendStatus("blobs", "s3", True, False, False, store.location, error))
    local = LocalBlobStore(settings.blob_dir)
    statuses.append(BackendStatus("blobs", "local", False, True, True, local.location))
    return local, statuses


def open_storage(settings: Settings) -> Storage:
    """The database and blob store to use, falling back to local storage where the cloud fails."""
    db, db_statuses = open_database(settings)
    blobs, blob_statuses = open_blobs(settings)
    return Storage(db=db, blobs=blobs, statuses=db_statuses + blob_statuses)
