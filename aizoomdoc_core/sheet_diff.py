"""What changed between two versions of one sheet: aligned, then compared as ink and as words.

A revised sheet is often re-exported: shifted by a new margin, or placed on another paper size.
So the old page is first mapped onto the new one (``align``: scale and offset per axis, fitted on
the words both pages print once, where they sit), then compared twice:

- as ink (``ink_cells``): both pages drawn at the same scale from the vector PDF, the old one
  through the mapping; ink on one side only, beyond a tolerance of a couple of pixels, in cells of
  a grid, grouped into regions (``regions``). What changed in the drawing itself (a line moved, a detail deleted).
- as words (``word_changes``): the old words mapped onto the new page, matched by text and place;
  what is left is removed, added, or, where a removed and an added word sit in the same place, an
  edited value ("DN100" -> "DN150", "16A" -> "25A").

It runs in the renderer's isolated child (``compare``): the files are untrusted. Coordinates are
PDF points of the new page until ``SheetDiff`` normalizes them to it (0..1, as every bbox here).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pymupdf
from PIL import Image

from .isolation import Report
from .models import _Record
from .render import open_renderable

INK = 170  # grey level below which a pixel is ink
TOLERANCE_PX = 2  # ink this close on the other side counts as the same ink (antialiasing, rounding)
DARKER = 70  # grey levels a pixel must be darker than the other side's darkest near it to be a change
CELL_PX = 8  # the grid changed ink is counted in
CELL_INK = 6  # changed pixels that make a cell changed (specks of antialiasing do not)
JOIN_CELLS = 3  # changed cells this close are one region
DRAW_SIDE = 2400  # pixels of the longer side the pages are compared at
TWINS = 5000  # unmatched new words beyond this: removed words are not paired as edits (a redrawn sheet)
MIN_ANCHORS = 4  # shared words needed to fit the mapping; fewer: the pages' own sizes map them
LINE_GAP = 6  # word heights: a wider gap parts two lines of one baseline (two columns, two cells apart)
PHRASE_GAP = 2  # word heights: the widest gap between two words of one changed phrase
TABLE_WIDTH = 0.25  # of the sheet's width: the most a revision table spans right of its first column
REVISION_ROWS = 8  # lines above or below a revision table's header that are its rows
_REVISION = re.compile(r"^(?:REV\.?|REVISIONS?:?|Изм\.?|Изменения)$")  # a revision table's header words
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Mapping:
    """Old page point -> new page point: ``x' = sx * x + dx``, ``y' = sy * y + dy``."""

    sx: float = 1.0
    dx: float = 0.0
    sy: float = 1.0
    dy: float = 0.0
    anchors: int = 0  # shared words it was fitted on

    def box(self, box: Box) -> Box:
        return (self.sx * box[0] + self.dx, self.sy * box[1] + self.dy, self.sx * box[2] + self.dx, self.sy * box[3] + self.dy)


@dataclass(frozen=True)
class TextChange(_Record):
    kind: str  # "added", "removed" or "edited"
    old: str | None
    new: str | None
    bbox: list[float]  # on the new page (a removed word: where it was, mapped)


@dataclass(frozen=True)
class SheetDiff(_Record):
    """One sheet's changes: regions of changed ink and the words that changed, on the new page."""

    regions: list[list[float]] = field(default_factory=list)
    texts: list[TextChange] = field(default_factory=list)
    anchors: int = 0  # words the two pages were aligned on
    shift: list[float] = field(default_factory=list)  # the mapping: sx, dx, sy, dy (points)
    revisions: list[TextChange] = field(default_factory=list)  # rows of the revision table that changed


Word = tuple[Box, str]


def words(page: pymupdf.Page) -> list[Word]:
    """The page's words where they are seen: MuPDF gives them in the unrotated page's space."""
    turn = page.rotation_matrix
    found = []
    for w in page.get_text("words"):
        box = pymupdf.Rect(w[:4]) * turn
        found.append(((box.x0, box.y0, box.x1, box.y1), str(w[4])))
    return found


def align(old: list[Word], new: list[Word], old_size: tuple[float, float], new_size: tuple[float, float]) -> Mapping:
    """The mapping that puts the old page's words where the new page prints them, fitted by least
    squares on the words each page prints exactly once, after dropping the pairs it fits worst
    (a word that moved on purpose). Few shared words: the pages' own sizes, corner to corner."""
    once_old, once_new = _unique(old), _unique(new)
    pairs = [(once_old[t], once_new[t]) for t in once_old.keys() & once_new.keys() if len(t) >= 3]
    if len(pairs) < MIN_ANCHORS:
        return Mapping(new_size[0] / old_size[0], 0.0, new_size[1] / old_size[1], 0.0, len(pairs))
    for _ in range(2):  # fit, drop the worst fifth, fit again
        sx, dx = _fit([(a[0], b[0]) for a, b in pairs])
        sy, dy = _fit([(a[1], b[1]) for a, b in pairs])
        errors = [abs(sx * a[0] + dx - b[0]) + abs(sy * a[1] + dy - b[1]) for a, b in pairs]
        keep = sorted(range(len(pairs)), key=errors.__getitem__)[: max(MIN_ANCHORS, int(len(pairs) * 0.8))]
        pairs = [pairs[i] for i in keep]
    return Mapping(sx, dx, sy, dy, len(pairs))


def word_changes(old: list[Word], new: list[Word]) -> list[TextChange]:
    """Words removed, added, and edited in place, on the new page's points (``old`` mapped onto it)."""
    by_text: dict[str, list[int]] = {}
    for index, (_, text) in enumerate(new):
        by_text.setdefault(text, []).append(index)
    left = set(range(len(new)))  # new words not matched yet
    removed: list[Word] = []
    for box, text in old:
        match = next((i for i in by_text.get(text, []) if i in left and _near(box, new[i][0])), None)
        if match is None:
            removed.append((box, text))
        else:
            left.discard(match)
    changes: list[TextChange] = []
    for box, text in removed:
        twin = next((i for i in sorted(left) if _overlap(box, new[i][0]) > 0.3), None) if len(left) < TWINS else None
        if twin is None:
            changes.append(TextChange("removed", text, None, list(box)))
        else:
            left.discard(twin)
            changes.append(TextChange("edited", text, new[twin][1], list(new[twin][0])))
    changes += [TextChange("added", None, new[i][1], list(new[i][0])) for i in sorted(left)]
    return changes


def ink_cells(old_page: pymupdf.Page, new_page: pymupdf.Page, mapping: Mapping) -> tuple[np.ndarray, float]:
    """The grid of ``CELL_PX`` cells with ink on one page only, and the scale the pages were drawn at."""
    old, new, scale = _greys(old_page, new_page, mapping)
    changed = _only(old, new) | _only(new, old)
    height, width = changed.shape
    rows, cols = height // CELL_PX, width // CELL_PX
    cells = changed[: rows * CELL_PX, : cols * CELL_PX].reshape(rows, CELL_PX, cols, CELL_PX).sum(axis=(1, 3)) >= CELL_INK
    return cells, scale


def regions(cells: np.ndarray, scale: float) -> list[Box]:
    """The changed cells grouped into regions (points): cells up to ``JOIN_CELLS`` apart are one
    region, bounded by its own cells."""
    groups = _labels(_spread(cells, JOIN_CELLS))
    bounds: dict[int, list[int]] = {}
    for r, c in zip(*(axis.tolist() for axis in np.nonzero(cells)), strict=True):
        box = bounds.setdefault(int(groups[r, c]), [r, c, r, c])
        box[0], box[1], box[2], box[3] = min(box[0], r), min(box[1], c), max(box[2], r), max(box[3], c)
    unit = CELL_PX / scale
    return sorted(((c0 * unit, r0 * unit, (c1 + 1) * unit, (r1 + 1) * unit) for r0, c0, r1, c1 in bounds.values()),
                  key=lambda b: (b[1], b[0]))


def overlay(old_page: pymupdf.Page, new_page: pymupdf.Page, mapping: Mapping) -> bytes:
    """The new sheet in grey, ink only the old one had in red, ink only the new one has in blue, as PNG."""
    old, new, _ = _greys(old_page, new_page, mapping)
    picture = np.full((*new.shape, 3), 255, dtype=np.uint8)
    picture[new < INK] = (170, 170, 170)
    picture[_only(old, new)] = (220, 30, 30)
    picture[_only(new, old)] = (20, 90, 230)
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="PNG")
    return out.getvalue()


def diff_pages(old_page: pymupdf.Page, new_page: pymupdf.Page, *, aligned: bool = True) -> SheetDiff:
    """The pair's changes. The regions are the changed ink's and the changed words' (a digit of
    small text changes few pixels), joined where they touch. ``aligned=False`` compares the pages
    as they lie, corner on corner (the benchmark's baseline)."""
    old_words, new_words = words(old_page), words(new_page)
    mapping = align(old_words, new_words, _size(old_page), _size(new_page)) if aligned else Mapping()
    cells, scale = ink_cells(old_page, new_page, mapping)
    moved = [(mapping.box(box), text) for box, text in old_words]
    changes = word_changes(moved, new_words)
    unit = CELL_PX / scale
    for change in changes:  # a changed word's cells are changed, however few of its pixels are
        x0, y0, x1, y1 = change.bbox
        cells[max(0, int(y0 / unit)): max(0, int(y1 / unit)) + 1, max(0, int(x0 / unit)): max(0, int(x1 / unit)) + 1] = True
    width, height = _size(new_page)
    texts = [TextChange(c.kind, c.old, c.new, _normal(c.bbox, width, height)) for c in changes]
    rows = [TextChange(c.kind, c.old, c.new, _normal(c.bbox, width, height))
            for c in revision_rows(moved, new_words, changes, width)]
    return SheetDiff([_normal(list(r), width, height) for r in regions(cells, scale)], texts, mapping.anchors,
                     [round(mapping.sx, 4), round(mapping.dx, 2), round(mapping.sy, 4), round(mapping.dy, 2)], rows)


def revision_rows(old: list[Word], new: list[Word], changes: list[TextChange], width: float) -> list[TextChange]:
    """The rows of the sheet's revision table («Изм.», "REV") that hold a changed word, read whole:
    a row added ("2 | 12.03.26 | ISSUED FOR CONSTRUCTION"), removed, or edited (old row -> new row).

    The table is found by its header line (a line with one of the header words); its rows are the
    lines within ``REVISION_ROWS`` lines of it, above (a ГОСТ stamp) or below (a US sheet), that
    start right of its first word and within ``TABLE_WIDTH`` of the sheet's width, a row's cells
    joined by their baseline. ``old`` is mapped onto the new page already; ``width`` is the page's."""
    found: list[TextChange] = []
    new_lines, old_lines = _lines(new), _lines(old)
    for header in [line for line in new_lines if any(_REVISION.match(text) for _, text in line)]:
        top, bottom = _span(header)
        step = (bottom[3] - top[1]) or 1.0
        span = (top[0] - step, top[0] + TABLE_WIDTH * width)  # the header's first word starts the table
        new_rows, old_rows = _table_rows(new_lines, top, step, span), _table_rows(old_lines, top, step, span)
        for key, cells in sorted(new_rows.items()):
            if any(_holds(cell, c.bbox) for cell in cells for c in changes if c.kind != "removed"):
                was = old_rows.get(key)
                found.append(TextChange("edited" if was else "added", _row(was) if was else None, _row(cells), _row_box(cells)))
        for key, cells in sorted(old_rows.items()):
            if key not in new_rows and any(_holds(cell, c.bbox) for cell in cells for c in changes if c.kind == "removed"):
                found.append(TextChange("removed", _row(cells), None, _row_box(cells)))
    return found


def _table_rows(lines: list[list[Word]], top: Box, step: float, span: tuple[float, float]) -> dict[int, list[list[Word]]]:
    """A table's rows by their distance from its header (``top``: its first word, ``step``: a
    line's height), each the parts of the lines on that baseline within ``span``; the header's
    own line is left out."""
    rows: dict[int, list[list[Word]]] = {}
    for line in lines:
        inside = [word for word in line if span[0] <= word[0][0] < span[1]]  # the table's part of the line
        if not inside:
            continue
        first = inside[0][0]
        if abs(first[1] - top[1]) <= REVISION_ROWS * step * 1.6 and abs(first[3] - top[3]) > step / 2:
            rows.setdefault(round((first[3] - top[3]) / step), []).append(inside)
    return rows


def phrases(changes: list[TextChange], gap: float = PHRASE_GAP) -> list[TextChange]:
    """Words added (or removed) side by side on one line as the phrase they make (``_lines``, at
    most ``gap`` word heights apart): a note added reads as the note, not word by word. Edited
    values stay as they are."""
    joined = [c for c in changes if c.kind == "edited"]
    for kind in ("added", "removed"):
        lines = _lines([((c.bbox[0], c.bbox[1], c.bbox[2], c.bbox[3]), c.new or c.old or "") for c in changes
                        if c.kind == kind], gap)
        for line in lines:
            text, box = _text(line), _row_box([line])
            joined.append(TextChange(kind, None if kind == "added" else text, text if kind == "added" else None, box))
    return joined


def _row(cells: list[list[Word]]) -> str:
    """A table row's text, its cells (lines of one baseline) parted by " | "."""
    return " | ".join(_text(cell) for cell in sorted(cells, key=lambda c: c[0][0][0]))


def _row_box(cells: list[list[Word]]) -> list[float]:
    boxes = [box for cell in cells for box, _ in cell]
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _lines(page_words: list[Word], gap: float = LINE_GAP) -> list[list[Word]]:
    """The words in lines: the same baseline, left to right, and no wider gap between two words
    than ``gap`` times their height (the next column's words are another line)."""
    rows: list[list[Word]] = []
    for word in sorted(page_words, key=lambda w: (round(w[0][3]), w[0][0])):
        if rows and abs(rows[-1][-1][0][3] - word[0][3]) < (word[0][3] - word[0][1]) / 2:
            rows[-1].append(word)
        else:
            rows.append([word])
    lines: list[list[Word]] = []
    for row in rows:
        row.sort(key=lambda w: w[0][0])
        lines.append([row[0]])
        for before, word in zip(row, row[1:]):
            if word[0][0] - before[0][2] > gap * (word[0][3] - word[0][1]):
                lines.append([])
            lines[-1].append(word)
    return lines


def _span(line: list[Word]) -> tuple[Box, Box]:
    return line[0][0], line[-1][0]


def _text(line: list[Word]) -> str:
    return " ".join(text for _, text in line)


def _holds(line: list[Word], box: list[float]) -> bool:
    return any(_overlap(b, (box[0], box[1], box[2], box[3])) > 0.5 for b, _ in line)


def _greys(old_page: pymupdf.Page, new_page: pymupdf.Page, mapping: Mapping) -> tuple[np.ndarray, np.ndarray, float]:
    """Both pages in grey at one scale, the old page drawn through the mapping onto the new one's canvas."""
    width, height = _size(new_page)
    scale = DRAW_SIDE / max(width, height)
    new, _ = _grey(new_page, pymupdf.Matrix(scale, scale))
    # The mapping's offset goes into the matrix, fractions of a pixel included: both pages are then
    # rasterized in the same pixel phase, and a hairline is as grey on both.
    drawn, origin = _grey(old_page, pymupdf.Matrix(scale * mapping.sx, 0, 0, scale * mapping.sy,
                                                   scale * mapping.dx, scale * mapping.dy))
    canvas = Image.new("L", new.size, 255)
    canvas.paste(drawn, origin)
    return np.asarray(canvas, dtype=np.int16), np.asarray(new, dtype=np.int16), scale


def _only(one: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Ink of ``one`` much darker than anything ``other`` has within the tolerance around it: a
    grey fill drawn at another pixel phase, or an antialiased edge, is not a change."""
    return (one < INK) & (one + DARKER < _darkest(other))


def _grey(page: pymupdf.Page, matrix: pymupdf.Matrix) -> tuple[Image.Image, tuple[int, int]]:
    """The page drawn through ``matrix`` in grey, and where its first pixel lands."""
    pixmap = page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY, alpha=False)
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples), (pixmap.x, pixmap.y)


def _darkest(grey: np.ndarray, by: int = TOLERANCE_PX) -> np.ndarray:
    """Each pixel's darkest neighbour within a square of ``by`` pixels each way (a min filter, in
    numpy alone: along the rows, then the columns)."""
    rows = grey.copy()
    for step in range(1, by + 1):
        np.minimum(rows[step:], grey[:-step], out=rows[step:])
        np.minimum(rows[:-step], grey[step:], out=rows[:-step])
    darkest = rows.copy()
    for step in range(1, by + 1):
        np.minimum(darkest[:, step:], rows[:, :-step], out=darkest[:, step:])
        np.minimum(darkest[:, :-step], rows[:, step:], out=darkest[:, :-step])
    return darkest


def _spread(mask: np.ndarray, by: int) -> np.ndarray:
    """``mask`` grown by ``by`` cells each way (a square): where the darkest of its 0-for-true
    neighbourhood is 0 (``_darkest``, the one neighbourhood filter here)."""
    return _darkest(np.where(mask, 0, 1).astype(np.int16), by) == 0


def _labels(mask: np.ndarray) -> np.ndarray:
    """Each true cell's group number: 8-connected groups, found by a flood from each unlabelled cell."""
    labels = np.zeros(mask.shape, dtype=np.int32)
    count = 0
    for r, c in zip(*np.nonzero(mask), strict=True):
        if labels[r, c]:
            continue
        count += 1
        labels[r, c] = count
        stack = [(int(r), int(c))]
        while stack:
            y, x = stack.pop()
            for ny in range(max(0, y - 1), min(mask.shape[0], y + 2)):
                for nx in range(max(0, x - 1), min(mask.shape[1], x + 2)):
                    if mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = count
                        stack.append((ny, nx))
    return labels


def _unique(page_words: list[Word]) -> dict[str, tuple[float, float]]:
    """Centres of the words a page prints exactly once."""
    counts = Counter(text for _, text in page_words)
    return {text: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b, text in page_words if counts[text] == 1}


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares ``b = s * a + d``."""
    a = np.array([p[0] for p in points])
    b = np.array([p[1] for p in points])
    if np.ptp(a) < 1e-6:
        return 1.0, float(np.mean(b - a))
    s, d = np.polyfit(a, b, 1)
    return float(s), float(d)


def _near(a: Box, b: Box) -> bool:
    tolerance = max(2.0, 0.5 * (a[3] - a[1]))
    return abs((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2) <= tolerance and abs((a[1] + a[3]) / 2 - (b[1] + b[3]) / 2) <= tolerance


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])) or 1e-9
    return w * h / smaller


def _size(page: pymupdf.Page) -> tuple[float, float]:
    return page.rect.width, page.rect.height


def _normal(box: list[float], width: float, height: float) -> list[float]:
    return [round(max(0.0, min(1.0, box[0] / width)), 5), round(max(0.0, min(1.0, box[1] / height)), 5),
            round(max(0.0, min(1.0, box[2] / width)), 5), round(max(0.0, min(1.0, box[3] / height)), 5)]


def diff_task(old: tuple[bytes, str, str], new: tuple[bytes, str, str], pairs: list[tuple[int, int]], report: Report) -> list[SheetDiff]:
    """In the isolated child: each (old page, new page) pair's changes (``(data, mime, name)`` each side)."""
    old_doc, new_doc = open_renderable(*old), open_renderable(*new)
    found = []
    for done, (old_page, new_page) in enumerate(pairs, 1):
        found.append(diff_pages(old_doc[old_page - 1], new_doc[new_page - 1]))
        report(done, len(pairs))
    return found


def overlay_task(old: tuple[bytes, str, str], new: tuple[bytes, str, str], pair: tuple[int, int], _: Report) -> bytes:
    """In the isolated child: the pair's overlay (``overlay``), aligned as its diff was."""
    old_page, new_page = open_renderable(*old)[pair[0] - 1], open_renderable(*new)[pair[1] - 1]
    mapping = align(words(old_page), words(new_page), _size(old_page), _size(new_page))
    return overlay(old_page, new_page, mapping)
