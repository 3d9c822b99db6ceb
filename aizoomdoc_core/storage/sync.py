"""Sync: the outbox pushed to the cloud, oldest first, lane by lane, once the backend answers.

``CloudSync.run`` is called at every start, by the ``sync`` command, by the sidebar's "Send now"
and from ``BackgroundSync``'s daemon thread in the app, which wakes when an item is queued and
retries a down backend at its backoff time (``breaker``). An item the cloud refuses (not an outage)
is kept with its error (``Outbox.give_up``) and the next item goes on; an outage stops the lane
until its next retry. When nothing waits or failed any more, the spool is emptied.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..daemon import Daemon
from .breaker import Lane, is_outage
from .outbox import Outbox, OutboxItem

log = logging.getLogger("aizoomdoc.sync")

IDLE_INTERVAL = 30.0  # seconds between checks of the outbox when nothing happens


class FallbackStore(Protocol):
    """What sync needs of a fallback store (``FallbackDatabase``, ``FallbackBlobStore``)."""

    lane: Lane
    on_queued: Callable[[], None]  # called when a write is queued: wakes the background sync

    def connect(self) -> None:
        """Reach the backend; raise if it does not answer."""
        ...

    def push(self, item: OutboxItem) -> None:
        """Replay one item of the store's lane on the backend."""
        ...

    def synced(self) -> None:
        """Called after the lane's items were all pushed."""
        ...


@dataclass
class SyncReport:
    """What one sync did and what still waits."""

    pushed: int = 0
    mirrored: int = 0  # documents copied to the local mirror (the ``sync`` command levels it)
    waiting: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class CloudSync:
    """Pushes the outbox to the cloud, oldest first, lane by lane; one run at a time per process."""

    def __init__(self, outbox: Outbox, stores: Sequence[FallbackStore]) -> None:
        self.outbox = outbox
        self.stores = list(stores)
        self._lock = threading.Lock()

    def run(self, *, force: bool = False) -> SyncReport:
        """Push what waits; ``force`` retries a down backend now instead of at its backoff time."""
        report = SyncReport()
        with self._lock:
            for store in self.stores:
                self._drain(store, force, report)
            if self.outbox.empty_spool() and report.pushed:
                log.info("sync: the spool is empty, everything is in the cloud")
        report.waiting = self.outbox.counts()
        return report

    def _drain(self, store: FallbackStore, force: bool, report: SyncReport) -> None:
        lane = store.lane
        if not lane.up:
            if not (force or lane.due()):
                report.unreachable.append(f"{lane.label}: {lane.error}")
                return
            try:
                store.connect()
                lane.recover()
            except Exception as exc:
                lane.fail(exc)
                report.unreachable.append(f"{lane.label}: {lane.error}")
                return
        while items := self.outbox.items(lane.name):
            for item in items:
                try:
                    store.push(item)
                except Exception as exc:
                    if is_outage(exc):
                        lane.fail(exc)
                        report.unreachable.append(f"{lane.label}: {lane.error}")
                        return
                    error = lane.describe(exc)
                    log.error("sync of %s item %d (%s) refused: %s", lane.name, item.id, item.kind, error)
                    self.outbox.give_up(item.id, error)
                    report.errors.append(f"{lane.name} item {item.id} ({item.kind}): {error}")
                    continue
                self.outbox.remove([item.id])
                report.pushed += 1
        if report.pushed:
            log.info("sync: %s is up to date", lane.label)
        store.synced()


class BackgroundSync:
    """A daemon thread that runs ``CloudSync`` when items are queued and retries down backends."""

    def __init__(self, sync: CloudSync) -> None:
        self.sync = sync
        self._daemon = Daemon("aizoomdoc-sync", self._run, join_timeout=10)
        self.start, self.wake, self.stop = self._daemon.start, self._daemon.wake, self._daemon.stop

    def _delay(self) -> float:
        down = [s.lane.retry_at for s in self.sync.stores if not s.lane.up]
        return max(0.2, min(down) - time.monotonic()) if down else IDLE_INTERVAL

    def _run(self, daemon: Daemon) -> None:
        while not daemon.stopping:
            daemon.wait(self._delay())
            if daemon.stopping:
                return
            try:
                self.sync.run()
            except Exception:  # keep retrying; the next run reports again
                log.exception("background sync failed")
