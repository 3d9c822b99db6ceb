"""A schedule's row that answers, read from the page around the hit where the question met the table.

On a drawn schedule each row is one block whose lines are its cells side by side ("X-28", "BATHTUB",
"KOHLER", ...), under a header row of the same shape ("MARK", "ITEM", "MAKE / MODEL") and often a
title ("FIXTURE & EQUIPMENT SCHEDULE"). Search finds the title or the header, which hold the question's
common words ("schedule", "mark"), while the row that names the asked subject ("bathtub") holds the
answer and is often no hit at all. So the table is read as a stack of row-shaped blocks, one under
the other, and the row that holds most of the rest of the question is what is quoted (after its
header) and what the crop is made around; a row that is itself the hit is quoted after its header.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..search import Hit
from ..terms import matched_concepts
from .labels import EPS, small

MIN_CELLS = 3  # lines of a block that is a row of cells
ROW_SHAPE = 2.0  # a row of n cells is at least this many times n wider than tall (a paragraph is not)
STACK_GAP = 6.0  # the widest gap between two rows of a table, in the upper row's heights (a blank row or two)
UNDER_REACH = 3.0  # how far under a table's title its first row starts, in the title's heights
CELLS = " / "


@dataclass(frozen=True)
class Row:
    """The row that answers, with its table's header row (None when the row is the table's first)."""

    header: Hit | None
    row: Hit


def cells(block: Hit) -> str:
    """A row block's cells (its lines) on one line, as a header "MAKE / MODEL" groups them."""
    return CELLS.join(" ".join(line.split()) for line in block.text.split("\n") if line.strip())


def row_shaped(block: Hit) -> bool:
    """Whether ``block`` is a row of cells: several lines drawn side by side, one line tall."""
    lines = [line for line in block.text.split("\n") if line.strip()]
    x0, y0, x1, y1 = block.bbox
    return (len(lines) >= MIN_CELLS and y1 > y0 and block.kind != "title_block" and small(block.bbox)
            and (x1 - x0) / (y1 - y0) >= ROW_SHAPE * len(lines))


def _columns_meet(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two blocks share columns: they overlap by half the narrower one's width."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    return overlap >= 0.5 * min(a[2] - a[0], b[2] - b[0])


def _stack_down(first: Hit, rows: list[Hit]) -> list[Hit]:
    """``first`` and the rows under it while each starts within ``STACK_GAP`` heights of the last."""
    stack = [first]
    for block in rows:
        last = stack[-1].bbox
        if block.bbox[1] < last[1] + EPS or not _columns_meet(block.bbox, last):
            continue
        if block.bbox[1] - last[3] > STACK_GAP * (last[3] - last[1]):
            break
        stack.append(block)
    return stack


def _stack_up(last: Hit, rows: list[Hit]) -> Hit:
    """The top row of the table ``last`` is a row of: its header."""
    top = last
    for block in reversed(rows):
        edge = top.bbox
        if block.bbox[3] > edge[1] + EPS or not _columns_meet(block.bbox, edge):
            continue
        if edge[1] - block.bbox[3] > STACK_GAP * (block.bbox[3] - block.bbox[1]):
            break
        top = block
    return top


def table_row(
    page_blocks: Callable[[str, int], list[Hit]], hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float],
) -> Row | None:
    """The row of the table ``hit`` is a title, header or row of that holds most of the question
    that ``hit`` does not, with its header; None when ``hit`` heads no table or no row adds to it.
    ``page_blocks`` gives a page's blocks (read once per question, ``Evidence.page_blocks``)."""
    if hit.kind == "title_block" or not small(hit.bbox):
        return None
    held = matched_concepts(concepts, hit.text)
    if not held:
        return None
    x0, y0, x1, y1 = hit.bbox
    page = page_blocks(hit.document_id, hit.page)
    rows = [block for block in page if row_shaped(block) and block.block_id != hit.block_id]
    if row_shaped(hit):
        header = _stack_up(hit, [r for r in rows if r.bbox[3] <= y0 + EPS])
        if header is not hit:  # a row of the table, hit because it names the subject: it answers
            return Row(header, hit)
        body = _stack_down(hit, rows)[1:]
    else:
        under = [r for r in rows if r.bbox[1] >= y1 - EPS and _columns_meet(r.bbox, hit.bbox)]
        if not under or under[0].bbox[1] - y1 > UNDER_REACH * (y1 - y0):
            return None
        stack = _stack_down(under[0], under)
        header, body = stack[0], stack[1:]
        held |= matched_concepts(concepts, header.text)
    best: tuple[float, Hit] | None = None
    for row in body:
        gain = sum(weights[i] for i in matched_concepts(concepts, row.text) - held)
        if gain > 0 and (best is None or gain > best[0]):
            best = (gain, row)
    return Row(header, best[1]) if best else None
