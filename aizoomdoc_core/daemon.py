"""A daemon thread that sleeps until it is woken, a timeout passes or it is stopped: the shape of the
core's background jobs (the cloud sync, the dense indexer), written once.

The job is a function given the ``Daemon``; it loops until ``stopping``, sleeping with ``wait`` (a
wake ends the sleep early and is consumed) or ``rest`` (only a stop ends it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Daemon:
    def __init__(self, name: str, job: Callable[[Daemon], None], *, join_timeout: float) -> None:
        self._join_timeout = join_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._starting = threading.Lock()  # two calls at once start one thread, none after a stop
        self._thread = threading.Thread(target=job, args=(self,), name=name, daemon=True)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        """Start the thread; a second call does nothing."""
        with self._starting:
            if self._thread.ident is None and not self.stopping:
                self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def wait(self, timeout: float) -> None:
        """Sleep until woken, stopped, or ``timeout`` seconds; the wake is consumed."""
        self._wake.wait(timeout)
        self._wake.clear()

    def rest(self, seconds: float) -> None:
        """Sleep ``seconds``, unless stopped first (a wake does not end a rest)."""
        self._stop.wait(seconds)

    def stop(self) -> None:
        """Ask the job to end and wait for it (up to the join timeout)."""
        with self._starting:
            self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=self._join_timeout)
