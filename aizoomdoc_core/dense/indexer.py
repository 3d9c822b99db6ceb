"""Dense vectors for the blocks, made after ingest, in the background, a batch at a time.

Ingest stays as fast as it was: a document is searchable lexically the moment it is stored, and its
blocks wait in the store's backlog (blocks with no vector row for the model) until the indexer
embeds them (about 7 ms a block on an idle core). Every batch is committed with its vectors, so
a crash or a restart loses at most one batch and resumes where it stopped; search uses whatever
vectors exist meanwhile, and ``progress`` says how far each document is, for the Documents page
and ``documents --json``.

A block with nothing worth embedding (a lone dimension, a grid letter, punctuation: no two letters
in a row) gets a row with no vector: it is done, and it never crowds the nearest neighbours of a
question with noise. Such blocks are found by the lexical ranker, which is made for codes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..daemon import Daemon
from ..models import BlockVector, DenseProgress
from ..storage.interfaces import VectorIndex
from .embedder import Embedder

log = logging.getLogger("aizoomdoc.dense")

BATCH = 32
# In the app's background a batch is small: a question's own embedding waits for the engine while a
# batch runs, so a batch must take a fraction of a second, not seconds on a loaded machine.
BACKGROUND_BATCH = 8
IDLE_WAIT = 5.0  # seconds between looks at the backlog when it was empty
_WORDY = re.compile(r"[^\W\d_]{2}")


def worth_embedding(text: str) -> bool:
    """Whether a block says something in words (two letters in a row, in any script)."""
    return bool(_WORDY.search(text))


class DenseIndexer:
    """Embeds the store's backlog for one embedder's model."""

    def __init__(self, store: VectorIndex, embedder: Embedder, *, batch: int = BATCH) -> None:
        self.store, self.embedder, self.batch = store, embedder, batch
        self._daemon = Daemon("aizoomdoc-dense", self._loop, join_timeout=30)

    def step(self, batch: int | None = None) -> int:
        """Embed and save one batch of the backlog; how many blocks it held (0: nothing waits)."""
        waiting = self.store.vector_backlog(self.embedder.model, batch or self.batch)
        if not waiting:
            return 0
        wordy = [block for block in waiting if worth_embedding(block.text)]
        embedded = self.embedder.passages([block.text for block in wordy]) if wordy else np.zeros((0, 0))
        vectors = {(b.document_id, b.block_key): v for b, v in zip(wordy, embedded)}
        self.store.save_vectors(self.embedder.model, [
            BlockVector(b.document_id, b.block_key, vectors.get((b.document_id, b.block_key))) for b in waiting
        ])
        return len(waiting)

    def run(self, progress: Callable[[int], None] | None = None) -> int:
        """Embed the whole backlog now; returns how many blocks were done."""
        done = 0
        while count := self.step():
            done += count
            if progress:
                progress(done)
        return done

    def progress(self, document_ids: Sequence[str]) -> list[DenseProgress]:
        return self.store.dense_progress(self.embedder.model, document_ids)

    def start(self) -> None:
        """Index in a daemon thread until ``stop``: the backlog, then whatever is ingested later."""
        self._daemon.start()

    def wake(self) -> None:
        """A document was ingested: look at the backlog now rather than at the next idle look."""
        self._daemon.wake()

    def stop(self) -> None:
        self._daemon.stop()

    def _loop(self, daemon: Daemon) -> None:
        """Batches with a rest as long as each took between them: the embedder takes every core while
        it works, and the app's pages must stay quick meanwhile."""
        while not daemon.stopping:
            started = time.monotonic()
            try:
                busy = self.step(BACKGROUND_BATCH) > 0
            except Exception as exc:  # a store away or an endpoint failing: try again later
                log.warning("dense indexing paused: %s", type(exc).__name__)
                busy = False
            if busy:
                daemon.rest(time.monotonic() - started)
            else:
                daemon.wait(IDLE_WAIT)
