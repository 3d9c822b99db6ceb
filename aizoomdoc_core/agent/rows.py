"""A label's row: the cells to the right of a short block on its line.

On a drawing a schedule or a log is often many small blocks, one a cell: "Siderolithic" in one,
its depth and its description further right, each a block of its own. A question about the label
is answered by its row, so the crop around the label is widened to hold the row to its last cell
(``evidence``), and the quote reads the row's cells in order after the label (``extractive``).
The row is its chain of cells: each starts within ``ROW_REACH`` label heights of the one before,
so a wide column of a table is crossed while the next drawing across the sheet is not reached,
and it ends where a block is a whole row of cells of its own (the next table's).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..library import Library
from ..search import Hit
from ..terms import token_terms, tokens

ROW_REACH = 40.0  # the widest gap between two cells of a row, in the label's heights
ROW_CELLS = 3  # a block of this many lines, one line tall, is a whole row of cells of its own
LABEL_AREA = 0.05  # of the page: a block larger than this is no label nor cell (a page-wide text)
LABEL_CHARS = 60  # a text this short may be a label whose value is another block
EPS = 1e-3


def is_label(text: str, concepts: Sequence[Sequence[str]]) -> bool:
    """Whether ``text`` reads as a label waiting for its value: short, and no number in it but the
    question's own (a code asked about); "AREA 120 M2" already holds its value."""
    asked = {term for concept in concepts for term in concept}
    return len(text) <= LABEL_CHARS and not any(
        any(c.isdigit() for c in token) and not asked.intersection(token_terms(token)) for token in tokens(text))


def small(bbox: Sequence[float]) -> bool:
    """Whether a block is small enough to be a label or a cell."""
    return (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) <= LABEL_AREA


def row_after(library: Library, hit: Hit) -> list[Hit]:
    """The blocks of ``hit``'s row right of it, left to right (none for a title block or a large
    block: its value is inside it)."""
    x0, y0, x1, y1 = hit.bbox
    height = y1 - y0
    if height <= 0 or hit.kind == "title_block" or not small(hit.bbox):
        return []
    cells = [
        block for block in library.blocks_in_region(hit.document_id, hit.page, [x1 - EPS, y0, 1.0, y1])
        if block.block_id != hit.block_id and block.kind != "title_block" and small(block.bbox)
        and block.bbox[0] >= x1 - EPS and on_row(block.bbox, hit.bbox)
    ]
    row: list[Hit] = []
    edge = x1
    for block in sorted(cells, key=lambda b: b.bbox[0]):
        if (block.bbox[0] - edge) / height > ROW_REACH or _whole_row(block, height):
            break
        row.append(block)
        edge = max(edge, block.bbox[2])
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
