"""The blob store while the cloud may be away: an S3 bucket, with the spool's blob folder behind it.

A file the bucket does not take waits in the spool's folder with an outbox item (``outbox``) and is
served from there until ``sync`` pushes it. Document files are also kept in the mirror's folder
(``files``): they are what every render reads, and what a question needs while the bucket is away.
Chat images this process wrote or read lately are kept in memory for the same reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from ..errors import BackendUnavailable
from ..lru import SizedLRU
from .blobs import LocalBlobStore, check_key
from .breaker import Down, Lane
from .interfaces import BlobStore
from .outbox import Outbox, OutboxItem

log = logging.getLogger("aizoomdoc.sync")

T = TypeVar("T")
RECENT_BYTES = 128 * 1024**2


class FallbackBlobStore:
    """The ``BlobStore`` interface over an S3 bucket, with the spool's blob folder behind it."""

    kind = "s3"

    def __init__(self, cloud: BlobStore, spool: LocalBlobStore, files: LocalBlobStore, outbox: Outbox, lane: Lane) -> None:
        self.cloud, self.spool, self.files, self.outbox, self.lane = cloud, spool, files, outbox, lane
        self.on_queued: Callable[[], None] = lambda: None
        # Chat images this process wrote to or read from the bucket lately, served while it is away.
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
        """Replay one waiting item on the bucket; a put whose file was deleted meanwhile does nothing."""
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

    def synced(self) -> None:
        """Nothing to do once the lane is pushed: the bucket's files are read when asked for."""


def _chat_of(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "chats" else None
