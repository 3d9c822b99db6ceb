"""Choosing the storage at start: the cloud when it is configured, the embedded default otherwise.

A configured cloud backend (PostgreSQL, S3) is tried once with a short timeout. One that does not
answer is reported in one line naming what failed (never a password) and logged once; the app then
starts anyway, writing to the local spool until the backend answers and ``sync`` pushes what waited
(see ``fallback_db``, ``fallback_blobs`` and ``sync``). A configuration that can never work (a URL
that is not a PostgreSQL URL) is not an outage: the embedded default (SQLite under the data
directory, a blob folder beside it) takes its place, as it does when nothing is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..config import Settings, describe_error
from ..errors import InvalidInput
from ..models import BackendStatus
from .blobs import LocalBlobStore
from .breaker import Lane
from .db import Database
from .fallback_blobs import FallbackBlobStore
from .fallback_db import FallbackDatabase
from .interfaces import BlobStore, DatabaseStore
from .mirror import DocumentMirror
from .outbox import Outbox
from .sync import BackgroundSync, CloudSync, FallbackStore, SyncReport

log = logging.getLogger("aizoomdoc.storage")


@dataclass
class Storage:
    db: DatabaseStore
    blobs: BlobStore
    fixed: list[BackendStatus]  # statuses that do not change while the app runs
    lanes: list[Lane] = field(default_factory=list)
    sync: CloudSync | None = None
    background: BackgroundSync | None = None

    def statuses(self) -> list[BackendStatus]:
        """Each backend as it stands now: configured, reachable, in use."""
        statuses = [lane.status() for lane in self.lanes] + self.fixed
        return sorted(statuses, key=lambda s: s.component != "database")

    @property
    def fallback(self) -> bool:
        """True when a configured cloud backend is not answering or not usable."""
        return any(s.configured and not (s.in_use and s.reachable) for s in self.statuses())

    def waiting(self) -> dict[str, int]:
        """Items waiting for the cloud per lane (and ``failed``): all zero without a cloud."""
        return self.sync.outbox.counts() if self.sync else {"database": 0, "blobs": 0, "failed": 0}

    def run_sync(self, *, force: bool = False, level_mirror: bool = False) -> SyncReport:
        """Push what waits; ``level_mirror`` then also brings the documents' mirror level with the
        cloud in this thread (otherwise a background thread does, see ``mirror``)."""
        mirror = self.db if level_mirror and isinstance(self.db, FallbackDatabase) else None
        copied = mirror.refresher.copied if mirror else 0
        report = self.sync.run(force=force) if self.sync else SyncReport(waiting=self.waiting())
        if mirror is not None and mirror.lane.up:
            mirror.level_mirror()  # the push woke the background refresh: its copies count too
            report.mirrored = mirror.refresher.copied - copied
        return report

    def start_background_sync(self) -> None:
        """Retry down backends and push queued items from a daemon thread (the app does this)."""
        if self.sync and self.background is None:
            self.background = BackgroundSync(self.sync)
            for store in self.sync.stores:
                store.on_queued = self.background.wake
            self.background.start()

    def close(self) -> None:
        if self.background:
            self.background.stop()
        self.db.close()
        if self.sync:
            self.sync.outbox.spool.close()


def _local_database(settings: Settings) -> tuple[Database, BackendStatus]:
    local = Database.sqlite(settings.sqlite_path)
    local.migrate()
    return local, BackendStatus("database", "sqlite", False, True, True, str(settings.sqlite_path))


def _local_blobs(settings: Settings) -> tuple[LocalBlobStore, BackendStatus]:
    local = LocalBlobStore(settings.blob_dir)
    return local, BackendStatus("blobs", "local", False, True, True, local.location)


def _connect(store: FallbackStore) -> None:
    try:
        store.connect()
        log.info("client initialized: %s %s", store.lane.label, store.lane.location)
    except Exception as exc:  # any failure at start: run on the spool, retry later
        store.lane.fail(exc)


def open_storage(settings: Settings) -> Storage:
    """The stores to use: the cloud (with the spool behind it) where configured, local elsewhere."""
    fixed: list[BackendStatus] = []
    stores: list[FallbackStore] = []
    outbox: Outbox | None = None
    if settings.database_configured or settings.s3_configured:
        spool = Database.sqlite(settings.spool_dir / "spool.sqlite3", foreign_keys=False)
        spool.migrate()
        outbox = Outbox(spool)

    db: DatabaseStore | None = None
    if outbox is not None and settings.database_configured:
        db = cloud_db = _cloud_database(settings, outbox, fixed)
        if cloud_db is not None:
            _connect(cloud_db)
            stores.append(cloud_db)
    if db is None:
        db, status = _local_database(settings)
        fixed.append(status)

    blobs: BlobStore
    if outbox is not None and settings.s3_configured:
        blobs = cloud_blobs = _cloud_blobs(settings, outbox)
        _connect(cloud_blobs)
        stores.append(cloud_blobs)
    else:
        blobs, status = _local_blobs(settings)
        fixed.append(status)

    sync = CloudSync(outbox, stores) if outbox is not None and stores else None
    return Storage(db=db, blobs=blobs, fixed=fixed, lanes=[s.lane for s in stores], sync=sync)


def _cloud_database(settings: Settings, outbox: Outbox, fixed: list[BackendStatus]) -> FallbackDatabase | None:
    """PostgreSQL with the spool and the mirror behind it; None (and its status in ``fixed``) when
    its URL can never work."""
    location = settings.database_url_redacted() or ""
    try:
        cloud = Database.postgresql(settings.database_url or "", settings.connect_timeout)
    except InvalidInput as exc:
        log.warning("not connected: PostgreSQL at %s: %s; using local SQLite", location, exc)
        fixed.append(BackendStatus("database", "postgresql", True, False, False, location, str(exc)))
        return None
    mirror = Database.sqlite(settings.mirror_dir / "documents.sqlite3")
    mirror.migrate()
    lane = Lane("database", "postgresql", location, lambda exc: describe_error(exc, settings))
    return FallbackDatabase(cloud, outbox.spool, DocumentMirror(mirror), outbox, lane)


def _cloud_blobs(settings: Settings, outbox: Outbox) -> FallbackBlobStore:
    """The S3 bucket with the spool's blob folder and the mirror's files behind it."""
    from .s3 import S3BlobStore

    s3 = S3BlobStore(
        bucket=settings.s3_bucket or "",
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        addressing_style=settings.s3_addressing_style,
        timeout=settings.connect_timeout,
        presign_expiry=settings.presign_expiry,
    )
    spool, files = LocalBlobStore(settings.spool_dir / "blobs"), LocalBlobStore(settings.mirror_dir / "files")
    lane = Lane("blobs", "s3", s3.location, lambda exc: describe_error(exc, settings))
    return FallbackBlobStore(s3, spool, files, outbox, lane)
