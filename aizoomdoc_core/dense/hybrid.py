"""Hybrid search: the lexical ranker's pages and the dense vectors' pages, taken in turns.

The two rankers fail differently. The lexical one (``search``) is exact on codes and on the words a
sheet prints, and blind to a question in another language or in other words ("what is the ceiling
made of?" of a finishes schedule in Russian). The dense one (multilingual-e5 over blocks) reads meaning across
languages and misses codes and numbers. Both rank blocks; what a person needs is the page.

Fusion, chosen on the dev half of the questions (benchmarks/chat_benchmark.py) among reciprocal-rank
fusion at block and page level, weighted, score-normalised blends and agreement rules: the pages
of the two lists taken in turns, the lexical ranker's first (its first page is right more often),
each page once. It keeps what each ranker alone gets at rank 1 and fills ranks 2-5 with the other's
best guesses, which is what recall@5 of pages and a reviewer glancing at five sheets reward.

The hits handed on are blocks: each page's best block in that order for the first ``SPREAD`` pages,
so that they are all among the first hits, then the remaining blocks page by page.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import zip_longest
from typing import Protocol

import numpy as np

from ..models import BlockRecord
from ..search import Hit, hit_from_block, search
from ..storage.interfaces import SearchIndex, VectorIndex
from .embedder import Embedder


CANDIDATES = 50  # blocks asked of each ranker
SPREAD = 5  # pages whose best block comes first
QUERY_CACHE = 64  # question vectors kept (a follow-up searches the same text twice)


class DenseIndex(SearchIndex, VectorIndex, Protocol):
    """A store both rankers can search."""


class HybridSearch:
    """Search over a store with an embedder; without vectors (none made yet) it is lexical search."""

    def __init__(self, db: DenseIndex, embedder: Embedder) -> None:
        self.db, self.embedder = db, embedder
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._embedding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aizoomdoc-question")

    def __call__(self, query: str, *, top: int, document_ids: Sequence[str] | None, context: str = "") -> list[Hit]:
        """Both rankings, fused. The question is embedded and its nearest blocks are read in
        another thread while the lexical ranker runs (both wait in C or on the database, without
        the GIL), so a question costs the slower of the two, not their sum. ``context``, the
        question a follow-up follows, is read with it by both (``search.search``)."""
        if not query.strip():
            return []
        meant = f"{context}\n{query}" if context.strip() else query
        dense = self._embedding.submit(lambda: self.dense_hits(self._vector(meant), document_ids))
        lexical = search(self.db, query, top=max(top, CANDIDATES), document_ids=document_ids, context=context)
        return fuse(lexical, dense.result(), top)

    def dense_hits(self, vector: np.ndarray, document_ids: Sequence[str] | None) -> list[Hit]:
        """The blocks nearest to the question's vector, nearest first, cosine similarity as score."""
        nearest = self.db.nearest_blocks(self.embedder.model, vector, document_ids, CANDIDATES)
        if not nearest:
            return []
        records: dict[int, BlockRecord] = {b.id: b for b in self.db.blocks_for_ranking([i for i, _ in nearest])}
        return [hit_from_block(records[i], similarity) for i, similarity in nearest if i in records]

    def _vector(self, query: str) -> np.ndarray:
        """The question's vector, from the cache when it was just asked (a follow-up searches twice).
        Called in the embedding thread only (the cache is not locked)."""
        vector = self._queries.get(query)
        if vector is None:
            vector = self.embedder.query(query)
            self._queries[query] = vector
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        self._queries.move_to_end(query)
        return vector


def fuse(lexical: list[Hit], dense: list[Hit], top: int) -> list[Hit]:
    """The two rankings' pages in turns (lexical first), as blocks (see the module's docstring).

    Within a page, the lexical ranker's blocks come first. A hit's score becomes its page's place
    in the fused order, as ``1 / (1 + place)``: the two rankers' own scores are not on one scale.
    """
    order = _turns(_pages(lexical), _pages(dense))
    by_page: dict[tuple[str, int], dict[str, Hit]] = {page: {} for page in order}
    for hit in lexical + dense:
        by_page[(hit.document_id, hit.page)].setdefault(hit.block_id, hit)
    blocks = [list(by_page[page].values()) for page in order]
    ranked = [page[0] for page in blocks[:SPREAD]] + [hit for page in blocks[:SPREAD] for hit in page[1:]]
    ranked += [hit for page in blocks[SPREAD:] for hit in page]
    return [replace(hit, score=round(1.0 / (1 + place), 4))
            for hit, place in _placed(ranked[:top], order)]


def _placed(hits: list[Hit], order: list[tuple[str, int]]) -> list[tuple[Hit, int]]:
    place = {page: i for i, page in enumerate(order)}
    return [(hit, place[(hit.document_id, hit.page)]) for hit in hits]


def _pages(hits: list[Hit]) -> list[tuple[str, int]]:
    return list(dict.fromkeys((hit.document_id, hit.page) for hit in hits))


def _turns(first: list[tuple[str, int]], second: list[tuple[str, int]]) -> list[tuple[str, int]]:
    merged: dict[tuple[str, int], None] = {}
    for pair in zip_longest(first, second):
        for page in pair:
            if page is not None:
                merged.setdefault(page)
    return list(merged)
