"""A label's value: the block right of a short block on its row (and the row's cells after it),
or the block under it.

On a drawing a label and its value are often two blocks ("EXTENT OF DEMOLITION:" over its list),
and a schedule or a log is many small blocks, one a cell: "Moraine" in one, its depth and
its description further right, each a block of its own. The value is chosen once, here, and both
sides use it: the crop around the label is made to hold it (``evidence``), and the quote reads it
after the label (``extractive``), so that what the answer quotes is in the image shown with it.
Of the blocks that may be the value, the one that holds most of the rest of the question goes
first (under a schedule's heading, the row that names the item asked about rather than the header
row nearer it), then the nearest; a row to the right is likelier the value than a line below.
A row is its chain of cells: each starts within ``ROW_REACH`` label heights of the one before,
so a wide column of a table is crossed while the next drawing across the sheet is not reached,
and it ends where a block is a whole row of cells of its own (the next table's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..library import Library
from ..search import Hit
from ..terms import is_code, matched_concepts, token_terms, tokens

ROW_REACH = 40.0  # the widest gap between two cells of a row, in the label's heights
RIGHT_REACH, BELOW_REACH = 40.0, 3.0  # how far a value may be from its label, in the label's heights
MIN_VALUE = 3  # characters of a value: a lone letter or digit beside a label is a tag or a grid bubble
ROW_CHARS = 200  # a row is read on while its cells so far are shorter than this
CANDIDATES = 8  # the best hits whose lines may be quoted: what the weights are counted over
CELL_HEIGHT = 2.0  # a cell of the row is at most this many times the label's height
ROW_CELLS = 3  # a block of this many lines, one line tall, is a whole row of cells of its own
LABEL_AREA = 0.05  # of the page: a block larger than this is no label nor cell (a page-wide text)
LABEL_CHARS = 60  # a text this short may be a label whose value is another block
EPS = 1e-3
EARLIER = 0.5  # a word of the question before a follow-up counts half as much as the follow-up's own


def is_label(text: str, concepts: Sequence[Sequence[str]]) -> bool:
    """Whether ``text`` reads as a label waiting for its value: short, and no number in it but the
    question's own (a code asked about); "AREA 120 M2" already holds its value."""
    asked = {term for concept in concepts for term in concept}
    return len(text) <= LABEL_CHARS and not any(
        any(c.isdigit() for c in token) and not asked.intersection(token_terms(token)) for token in tokens(text))


def small(bbox: Sequence[float]) -> bool:
    """Whether a block is small enough to be a label or a cell."""
    return (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) <= LABEL_AREA


def row_after(hit: Hit, blocks: Sequence[Hit]) -> list[Hit]:
    """The blocks of ``blocks`` (its page's, around it) on ``hit``'s row right of it, left to right."""
    x0, y0, x1, y1 = hit.bbox
    height = y1 - y0
    cells = [
        block for block in blocks
        if block.block_id != hit.block_id and block.kind != "title_block" and small(block.bbox)
        and block.bbox[0] >= x1 - EPS and on_row(block.bbox, hit.bbox)
        and block.bbox[3] - block.bbox[1] <= CELL_HEIGHT * height  # not a column of dimensions crossing it
    ]
    row: list[Hit] = []
    edge = x1
    for block in sorted(cells, key=lambda b: b.bbox[0]):
        if block.bbox[0] < edge - EPS:  # under the cell before it, not after it along the row
            continue
        if (block.bbox[0] - edge) / height > ROW_REACH or _whole_row(block, height):
            break
        row.append(block)
        edge = block.bbox[2]
    return row


def _whole_row(block: Hit, height: float) -> bool:
    """Whether ``block`` is a row of cells side by side (several lines, one line tall): a row of
    another table across the sheet, where the label's row has ended."""
    lines = [line for line in block.text.split("\n") if line.strip()]
    return len(lines) >= ROW_CELLS and block.bbox[3] - block.bbox[1] <= 1.5 * height


def on_row(bbox: Sequence[float], label: Sequence[float]) -> bool:
    """Whether ``bbox`` shares a line with ``label``: they overlap by half the lower one's height."""
    overlap = max(0.0, min(bbox[3], label[3]) - max(bbox[1], label[1]))
    return overlap >= 0.5 * min(bbox[3] - bbox[1], label[3] - label[1])


def weights(concepts: Sequence[Sequence[str]], hits: Sequence[Hit], own: int | None = None) -> list[float]:
    """Per concept, how much a line that holds it says: rarer among the hits' lines is more, as in
    search, and a code counts double ("sheet" is on every line of a title block, "checked" on one).
    Concepts from ``own`` on are the turn before's (a follow-up's subject): they count ``EARLIER``."""
    lines = [line for hit in hits for line in hit.text.split("\n") if line.strip()]
    held = [0] * len(concepts)
    for line in lines:
        for i in matched_concepts(concepts, line):
            held[i] += 1
    return [(2.0 if is_code(concept[0]) else 1.0) * (EARLIER if own is not None and i >= own else 1.0)
            * math.log(1.0 + (len(lines) + 0.5) / (n + 0.5)) for i, (concept, n) in enumerate(zip(concepts, held))]


def weight(text: str, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> float:
    return sum(weights[i] for i in matched_concepts(concepts, text))


def _repeats(text: str, label: set[str], concepts: Sequence[Sequence[str]]) -> bool:
    """Whether ``text`` says nothing but the label's words and the question's: another label of
    the same kind ("FIXTURE SCHEDULE" again), where "NON-COMBUSTIBLE" under "CONSTRUCTION TYPE"
    is its value."""
    asked = {term for concept in concepts for term in concept}
    return all(token in label or asked.intersection(token_terms(token)) for token in tokens(text))


def label_value(library: Library, hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> list[Hit]:
    """The blocks of ``hit``'s value when it is a label (``is_label``), in reading order; none when
    it is not, or nothing near it reads as its value. A value is not another label of the same
    kind: a block that holds a question word the label holds and nothing else (``_repeats``)."""
    flat = " ".join(hit.text.split())
    x0, y0, x1, y1 = hit.bbox
    height = y1 - y0
    if height <= 0 or hit.kind == "title_block" or not small(hit.bbox) or not is_label(flat, concepts):
        return []
    asked = matched_concepts(concepts, flat)

    own = set(tokens(flat))

    def readable(block: Hit) -> bool:
        return (block.block_id != hit.block_id and block.kind != "title_block" and small(block.bbox)
                and not (asked & matched_concepts(concepts, block.text) and _repeats(block.text, own, concepts)))

    # One read of the page around the label: its value's neighbourhood and its row to the edge.
    blocks = library.blocks_in_region(hit.document_id, hit.page, [x0, y0 - height, 1.0, min(1.0, y1 + BELOW_REACH * height)])
    best: tuple[tuple[float, float], Hit] | None = None
    for block in blocks:
        bx0, by0, bx1, by1 = block.bbox
        if bx0 > x1 + RIGHT_REACH * height:
            continue
        if not readable(block) or len(" ".join(block.text.split())) < MIN_VALUE:
            continue
        if bx0 >= x1 - EPS and on_row(block.bbox, hit.bbox):
            distance = (bx0 - x1) / height
        elif by0 >= (y0 + y1) / 2 and min(bx1, x1) - max(bx0, x0) > 0:  # under it, or tight under it
            distance = 2 * max(0.0, by0 - y1) / height  # (a breaker's rating overlapping its designator)
        else:
            continue
        key = (-weight(block.text, concepts, weights), distance)
        if best is None or key < best[0]:
            best = (key, block)
    if best is None:
        return []
    row = row_after(hit, blocks)
    start = next((i for i, cell in enumerate(row) if cell.block_id == best[1].block_id), None)
    if start is None:
        return [best[1]]
    cells: list[Hit] = []
    for cell in row[start:]:
        if not readable(cell) or sum(len(c.text) for c in cells) >= ROW_CHARS:
            break
        cells.append(cell)
    return cells
