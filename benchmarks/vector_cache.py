"""The local model's passage vectors kept on disk between benchmark runs (benchmarks/results/, not
committed): the corpus's 12k blocks take minutes to embed, and a PostgreSQL run starts from an empty
database every time. The vectors are the model's own; only the waiting is saved."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.dense.embedder import LocalEmbedder

CACHE = Path(__file__).resolve().parent / "results" / "passage-vectors.npz"


class CachedEmbedder(LocalEmbedder):
    def __init__(self, path: Path = CACHE) -> None:
        self.path = path
        self.known: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as stored:
                self.known = dict(zip(stored["keys"].tolist(), stored["vectors"]))

    def passages(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        missing = [text for key, text in zip(keys, texts) if key not in self.known]
        if missing:
            for text, vector in zip(missing, super().passages(missing)):
                self.known[hashlib.sha256(text.encode()).hexdigest()] = vector
        return np.vstack([self.known[key] for key in keys])

    def save(self) -> None:
        self.path.parent.mkdir(exist_ok=True)
        np.savez(self.path, keys=np.array(list(self.known)), vectors=np.vstack(list(self.known.values())))


def build_index(app: Aizoomdoc) -> int:
    """Make every vector the app's library waits for, through the cache; how many blocks were done."""
    indexer = app.library.indexer
    if indexer is None:
        return 0
    cached = CachedEmbedder()
    indexer.embedder = cached
    done = indexer.run()
    if done:
        cached.save()
    return done
