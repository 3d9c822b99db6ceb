"""The corpus as the chat and dense benchmarks start from it: files A, B and C ingested and their
dense index made (through the vector cache), on SQLite in a folder or on a throwaway PostgreSQL."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from benchmarks.search_benchmark import CORPUS
from benchmarks.vector_cache import build_index


@dataclass
class Indexed:
    blocks: int  # embedded now (0 when a kept library had them all)
    seconds: float


@contextmanager
def corpus_library(*, postgres: bool, data_dir: Path | None = None) -> Iterator[tuple[Aizoomdoc, Indexed]]:
    """The app over the corpus. ``data_dir`` (SQLite) keeps the library for the next run, which then
    ingests only the files it lacks; without it the library lives in a temporary folder."""
    cluster, environ = None, {}
    if postgres:
        from tests.services import PostgresCluster

        cluster = PostgresCluster()
        cluster.start()
        environ["DATABASE_URL"] = cluster.create_database()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            app = Aizoomdoc.open(Settings.load(data_dir=data_dir or scratch, environ=environ, dotenv_path=None))
            try:
                known = {d.name for d in app.list_documents()}
                for path in sorted(CORPUS.glob("[ABC]/*")):
                    if path.name not in known:
                        app.ingest(path)
                started = time.perf_counter()
                blocks = build_index(app)
                yield app, Indexed(blocks, time.perf_counter() - started)
            finally:
                app.close()
    finally:
        if cluster:
            cluster.destroy()
