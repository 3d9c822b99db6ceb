"""Whether a cloud backend answers: the breaker each fallback store goes through.

A backend that fails with an outage (connection refused or dropped, timeout, 5xx) is marked down
and not asked again until its next retry, which backs off from 1 s to a minute: while it is down a
click does not wait for a timeout, it gets ``Down`` at once and the fallback store answers from the
spool or the mirror instead. Any other failure (the cloud refused the request) is raised as it is.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import exc as sa_exc

from ..models import BackendStatus

log = logging.getLogger("aizoomdoc.sync")

T = TypeVar("T")
MAX_BACKOFF = 60.0  # seconds between retries of a backend that stays down


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the backend could not be reached (worth a retry), not that it refused."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
        return True
    from botocore import exceptions as boto

    if isinstance(exc, (boto.ConnectionError, boto.HTTPClientError)):
        return True
    if isinstance(exc, boto.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or exc.response.get("Error", {}).get("Code") in ("SlowDown", "RequestTimeout")
    return False


class Down(Exception):
    """Raised by ``Lane.attempt`` when a read or write cannot go to the cloud right now."""


class Lane:
    """One cloud backend's health as this process sees it: up, or down until the next retry."""

    def __init__(self, name: str, kind: str, location: str, describe: Callable[[BaseException], str]) -> None:
        self.name, self.kind, self.location = name, kind, location  # "database", "postgresql", ...
        self.label = {"postgresql": "PostgreSQL", "s3": "S3"}.get(kind, kind)
        self.describe = describe
        self.up = True
        self.error: str | None = None
        self.failures = 0
        self.retry_at = 0.0
        self._lock = threading.Lock()

    def fail(self, exc: BaseException) -> None:
        """Mark the backend down; the first failure is logged, the retries back off up to a minute."""
        error = self.describe(exc)
        with self._lock:
            if self.up:
                log.warning("not connected: %s %s: %s; writing to the local spool", self.label, self.location, error)
            self.up, self.error = False, error
            self.failures += 1
            self.retry_at = time.monotonic() + min(MAX_BACKOFF, 2.0 ** (self.failures - 1))

    def recover(self) -> None:
        with self._lock:
            if not self.up:
                log.info("client initialized: %s %s answers again", self.label, self.location)
            self.up, self.error, self.failures = True, None, 0

    def attempt(self, act: Callable[[], T]) -> T:
        """``act()`` on the backend; ``Down`` when it is known to be down or does not answer now
        (which marks it down), any other failure as it is."""
        if not self.up:
            raise Down
        try:
            return act()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.fail(exc)
            raise Down from exc

    def due(self) -> bool:
        """Whether the backend is up or its next retry has come."""
        return self.up or time.monotonic() >= self.retry_at

    def status(self) -> BackendStatus:
        return BackendStatus(self.name, self.kind, True, self.up, True, self.location, self.error)
