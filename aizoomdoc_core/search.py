"""Ranked hits for a question: candidates from the database's full-text index, ranking in Python.

Retrieval runs inside the database: the backend's index (FTS5 on SQLite, ``block_terms`` postings
on PostgreSQL) finds the blocks holding each term, and one query keeps the ``CANDIDATES`` blocks
that hold the most of the question, weighted by rarity. Only those are fetched and ranked here, so
the cost of a question follows the index, not the size of the archive, and both backends rank the
same candidates.

Ranking is BM25 over *concepts*: a word in the question matches its exact form or, a little weaker,
its stem; a code matches only itself and counts double (an engineer who types ``QO120M100`` wants that
part). A block's score grows with how much of the question it covers, and with how much of the
question its page covers: a label and its value often sit in different blocks of the same sheet.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from .models import BlockRecord
from .references import Referenced
from .storage.interfaces import SearchIndex
from .terms import STEM_MARK, index_terms, is_code, query_concepts, transliterate

CANDIDATES = 300
K1, B = 1.2, 0.75
STEM_WEIGHT = 0.8
CODE_WEIGHT = 2.0
PAGE_WEIGHT = 0.5
NAME_WEIGHT = 0.3
REFERENCED_AMONG = 20  # hits looked at for a detail other sheets point at
REFERENCED_BY = 2  # sheets pointing at a detail that make it the place to look
CONTEXT_WEIGHT = 0.5  # a word of the question a follow-up follows, against the follow-up's own
MAX_HIT_TEXT = 2000
WEIGHT_GRID = 2**20


@dataclass
class Hit:
    """One ranked block, as the search contract in ARCHITECTURE.md describes it."""

    document_id: str
    document_name: str
    page: int
    block_id: str
    bbox: list[float]
    text: str
    score: float
    kind: str
    sheet_code: str | None
    sheet_title: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def search(
    db: SearchIndex, query: str, *, top: int = 10, document_ids: Sequence[str] | None = None, context: str = "",
) -> list[Hit]:
    """The ``top`` best blocks for ``query`` (plain words or codes), best first.

    ``context`` is the question a follow-up follows: "what diameter?" after "What is F-44 in the
    finish schedule?" asks for F-44's row. Its words and codes that ``query`` lacks count too, at
    ``CONTEXT_WEIGHT``: the follow-up's own words decide between two rows that both hold the
    earlier subject ("And the bathtub?" after a question about the toilet)."""
    own = query_concepts(query)
    concepts = own + [c for c in query_concepts(context) if c not in own]
    if not concepts or top < 1:
        return []
    total, mean_length = db.block_statistics(document_ids)
    if total == 0:
        return []
    frequencies = db.term_frequencies(sorted({t for concept in concepts for t in concept}), document_ids)
    idf = {term: _idf(total, n) for term, n in frequencies.items() if n}
    if not idf:
        return []
    factors = [(CODE_WEIGHT if is_code(concept[0]) else 1.0) * (1.0 if i < len(own) else CONTEXT_WEIGHT)
               for i, concept in enumerate(concepts)]
    weighted = [pair for concept, factor in zip(concepts, factors) for pair in term_weights(concept, factor, idf)]
    rows = db.blocks_for_ranking(db.best_blocks(weighted, document_ids, limit=CANDIDATES))
    # How much each concept matters to coverage: its rarest alternative's idf. A word no block
    # holds is as rare as can be: it still counts when a document's name holds it.
    unseen = _idf(total, 0)
    weights = [f * max((idf[t] for t in concept if t in idf), default=unseen) for f, concept in zip(factors, concepts)]
    # A concept the block lacks but its document's name has (the set a question refers to, "in
    # the pump schedule") counts at a fraction of its weight; in full when no block holds it, as
    # then the name is the only thing the word can refer to.
    name_weights = [w * (NAME_WEIGHT if any(t in idf for t in concept) else 1.0) for w, concept in zip(weights, concepts)]
    scored = [(row, _contributions(row, concepts, idf, factors, mean_length)) for row in rows]
    page_best: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0] * len(concepts))
    for row, contributions in scored:
        best = page_best[(row.document_id, row.page)]
        for i, value in enumerate(contributions):
            best[i] = max(best[i], value)
    in_name = {name: _named(name, concepts) for name in {row.document_name for row in rows}}
    weight_sum = sum(weights) or 1.0
    ranked = []
    for row, contributions in scored:
        named = in_name[row.document_name]
        from_name = [w if c == 0 and n else 0.0 for w, c, n in zip(name_weights, contributions, named)]
        block_cover = (sum(w for w, c in zip(weights, contributions) if c > 0) + sum(from_name)) / weight_sum
        page = page_best[(row.document_id, row.page)]
        page_cover = sum(w for w, c in zip(weights, page) if c > 0) / weight_sum
        score = (sum(contributions) + sum(from_name)) * (0.5 + block_cover) + PAGE_WEIGHT * sum(page) * page_cover
        ranked.append((score, row))
    ranked.sort(key=lambda item: (-item[0], item[1].document_name, item[1].page, item[1].block_key))
    return [hit_from_block(row, score) for score, row in ranked[:top] if score > 0]


def term_weights(concept: tuple[str, ...], factor: float, idf: dict[str, float]) -> list[tuple[str, float]]:
    """The terms of one concept that some block holds, each weighted for choosing candidates by what
    it adds to the concept's next alternative, so that a block holding several alternatives sums to
    its best one's weight: a concept counts once, at its best term. That holds because alternatives
    are nested: a concept is a word and then its stem (``query_concepts``), and every block holding
    the word holds its stem (``index_terms``). The database then only sums weights (``best_blocks``).
    Weights are multiples of 2^-20 (``WEIGHT_GRID``): their sums are then exact, so blocks holding the
    same concepts tie whatever order the database adds them in, and ties go by block id.
    """
    weights = [(t, factor * idf[t] * (STEM_WEIGHT if t.startswith(STEM_MARK) else 1.0)) for t in concept if t in idf]
    return [(term, round((weight - (weights[k + 1][1] if k + 1 < len(weights) else 0.0)) * WEIGHT_GRID) / WEIGHT_GRID)
            for k, (term, weight) in enumerate(weights)]


def names_document(query: str, document_name: str) -> bool:
    """Whether ``query`` mentions any word of the document's file name (as ``_named`` reads it)."""
    return any(_named(document_name, query_concepts(query)))


def _named(document_name: str, concepts: list[tuple[str, ...]]) -> list[bool]:
    """Which concepts a document's file name mentions (underscores read as spaces), Russian words
    also in Latin letters: a question says "СХЕМА", the file is called ``skhema_pumps.pdf``."""
    terms = _name_terms(document_name)
    return [any(term in terms for term in concept) or transliterate(concept[0]) in terms for concept in concepts]


@lru_cache(maxsize=8192)
def _name_terms(document_name: str) -> frozenset[str]:
    """A file name's terms, kept: a question's candidates come from hundreds of documents whose
    names are read again at every question."""
    return frozenset(index_terms(document_name.replace("_", " ")))


def _idf(total: int, frequency: int) -> float:
    return math.log(1.0 + (total - frequency + 0.5) / (frequency + 0.5))


def _contributions(
    row: BlockRecord, concepts: list[tuple[str, ...]], idf: dict[str, float], factors: list[float], mean_length: float
) -> list[float]:
    """Per concept, the BM25 contribution of its best-matching alternative in this block."""
    counts = Counter(row.terms.split())
    # A title block is a record of short labelled fields: a match in one field is as strong as in
    # a short block, however many other fields the sheet fills in.
    length = mean_length if row.kind == "title_block" else row.term_count
    length_norm = K1 * (1 - B + B * length / (mean_length or 1.0))
    result = []
    for concept, factor in zip(concepts, factors):
        best = 0.0
        for term in concept:
            tf = counts.get(term, 0)
            if tf and term in idf:
                value = idf[term] * tf * (K1 + 1) / (tf + length_norm)
                if term.startswith(STEM_MARK):
                    value *= STEM_WEIGHT
                best = max(best, value)
        result.append(best * factor)
    return result


def hit_from_block(block: BlockRecord, score: float = 0.0) -> Hit:
    text = block.text
    return Hit(
        document_id=block.document_id,
        document_name=block.document_name,
        page=block.page,
        block_id=block.block_key,
        bbox=list(block.bbox),
        text=text if len(text) <= MAX_HIT_TEXT else text[: MAX_HIT_TEXT - 1] + "…",
        score=round(score, 4),
        kind=block.kind,
        sheet_code=block.sheet_code,
        sheet_title=block.sheet_title,
    )


def favour_referenced(hits: list[Hit], referenced: Callable[[str], Sequence[Referenced]]) -> list[Hit]:
    """``hits`` with a detail that several sheets point at (``referenced`` gives a document's)
    ahead of the callouts that point at it: when a question matches both "PARAPET FLASHING, SEE
    2/A-102" on three plans and detail 2 itself, the detail is where the plans send the reviewer.
    Only the first ``REFERENCED_AMONG`` hits are looked at, so no weak match rises to the top."""
    place = {(hit.document_id, hit.page, hit.block_id): i for i, hit in enumerate(hits)}
    keys = [float(i) for i in range(len(hits))]
    for index, hit in enumerate(hits[:REFERENCED_AMONG]):
        for detail in referenced(hit.document_id):
            if detail.sheets < REFERENCED_BY or detail.page != hit.page or not _overlaps(detail.region, hit.bbox):
                continue
            pointing = [place[key] for page, block in detail.callouts
                        if (key := (hit.document_id, page, block)) in place]
            keys[index] = min(keys[index], min(pointing, default=index) - 0.5)
    order = sorted(range(len(hits)), key=lambda i: (keys[i], i))
    return [hits[i] for i in order]


def _overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
