"""Revision pairs made from a real drawing set with PyMuPDF, so that what changed is known exactly.

The old version is the set as it is, with one extra line on each edited sheet; the new version
moves that line, changes a value, adds a note, adds a row to a revision table both have, and
deletes a detail on each edited sheet, swaps two
sheets (a comparison must match sheets by their code, not their page), and is "re-exported" on a
larger sheet with new margins, which shifts everything on every page. ``Made`` records each change
where it is on the new sheet (normalized, as every bbox), for the tests and the benchmark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pymupdf

MARGIN = (60.0, 40.0, 120.0, 80.0)  # points added left, top, right, bottom by the "re-export"
_NUMBER = re.compile(r"^\d{3,}$")


@dataclass(frozen=True)
class Made:
    page: int  # in the new version
    kind: str  # "moved line", "value", "note", "revision row", "deleted detail"
    bbox: list[float]  # where the change shows on the new sheet
    old: str | None = None  # a value's text before and after
    new: str | None = None


def revision_pair(source: Path, folder: Path, *, edited: tuple[int, ...], swap: tuple[int, int] | None = None) -> tuple[Path, Path, list[Made]]:
    """``old.pdf`` and ``new.pdf`` in ``folder`` from ``source``; ``edited`` pages (1-based, of the
    source) get the four changes; ``swap`` exchanges two pages of the new version."""
    old, new = pymupdf.open(source), pymupdf.open(source)
    unrotated: list[tuple[int, str, pymupdf.Rect, str | None, str | None]] = []
    for number in edited:
        o, n = old[number - 1], new[number - 1]
        w, h = o.rect.width, o.rect.height
        seen = lambda page, x, y: pymupdf.Point(x * w, y * h) * page.derotation_matrix  # noqa: E731
        o.draw_line(seen(o, 0.1, 0.30), seen(o, 0.3, 0.30), width=2)
        n.draw_line(seen(n, 0.1, 0.33), seen(n, 0.3, 0.33), width=2)
        unrotated.append((number, "moved line", pymupdf.Rect(seen(n, 0.1, 0.295), seen(n, 0.3, 0.335)).normalize(), None, None))
        value = next((word for word in n.get_text("words") if _NUMBER.match(word[4]) and word[3] - word[1] >= 4), None)
        if value is not None:
            box = pymupdf.Rect(value[:4])
            changed = str(int(value[4]) + 1)
            n.add_redact_annot(box + (0.3, 0.3, -0.3, -0.3), fill=(1, 1, 1))
            n.apply_redactions(images=0, graphics=0)
            size = min(box.width, box.height) * 0.9
            corner = pymupdf.Point(box.x0, box.y1) if n.rotation == 0 else (pymupdf.Point(box.x1, box.y1) if n.rotation == 90 else pymupdf.Point(box.x0, box.y0))
            n.insert_text(corner, changed, fontsize=size, rotate=n.rotation)
            unrotated.append((number, "value", box, str(value[4]), changed))
        note = seen(n, 0.05, 0.62)
        n.insert_text(note, "NOTE 7: VERIFY ALL DIMENSIONS ON SITE", fontsize=12, rotate=n.rotation)
        unrotated.append((number, "note", pymupdf.Rect(seen(n, 0.05, 0.605), seen(n, 0.22, 0.625)).normalize(), None, None))
        for page in (o, n):  # a revision table, the same on both: its header and the first issue
            page.insert_text(seen(page, 0.62, 0.70), "REV", fontsize=9, rotate=page.rotation)
            page.insert_text(seen(page, 0.65, 0.70), "DATE", fontsize=9, rotate=page.rotation)
            page.insert_text(seen(page, 0.70, 0.70), "DESCRIPTION", fontsize=9, rotate=page.rotation)
            page.insert_text(seen(page, 0.62, 0.72), "1", fontsize=9, rotate=page.rotation)
            page.insert_text(seen(page, 0.65, 0.72), "01.11.26", fontsize=9, rotate=page.rotation)
            page.insert_text(seen(page, 0.70, 0.72), "ISSUED FOR PERMIT", fontsize=9, rotate=page.rotation)
        for x, text in ((0.62, "2"), (0.65, "01.12.26"), (0.70, "ISSUED FOR CONSTRUCTION")):  # the new issue
            n.insert_text(seen(n, x, 0.74), text, fontsize=9, rotate=n.rotation)
        unrotated.append((number, "revision row", pymupdf.Rect(seen(n, 0.615, 0.73), seen(n, 0.80, 0.745)).normalize(),
                          None, "2 01.12.26 ISSUED FOR CONSTRUCTION"))
        detail = pymupdf.Rect(seen(n, 0.40, 0.35), seen(n, 0.55, 0.50)).normalize()
        n.add_redact_annot(detail, fill=(1, 1, 1))
        n.apply_redactions(images=0, graphics=0)
        unrotated.append((number, "deleted detail", detail, None, None))
    seen_before = [rect * new[number - 1].rotation_matrix for number, _, rect, _, _ in unrotated]
    shifts = {}
    for page in new:
        before = _first_word(page)
        box = page.mediabox
        page.set_mediabox(pymupdf.Rect(box.x0 - MARGIN[0], box.y0 - MARGIN[1], box.x1 + MARGIN[2], box.y1 + MARGIN[3]))
        after = _first_word(page)
        shifts[page.number] = (after.x0 - before.x0, after.y0 - before.y0)  # how the re-export moved it
    order = list(range(len(new)))
    if swap:
        a, b = swap[0] - 1, swap[1] - 1
        order[a], order[b] = order[b], order[a]
        new.select(order)
    made = []
    for (number, kind, _, was, now), before in zip(unrotated, seen_before, strict=True):
        dx, dy = shifts[number - 1]
        shown = before + (dx, dy, dx, dy)
        page = new[order.index(number - 1)]
        w, h = page.rect.width, page.rect.height
        made.append(Made(page.number + 1, kind, [shown.x0 / w, shown.y0 / h, shown.x1 / w, shown.y1 / h], was, now))
    folder.mkdir(parents=True, exist_ok=True)
    old.save(folder / "old.pdf")
    new.save(folder / "new.pdf", garbage=3)
    return folder / "old.pdf", folder / "new.pdf", made


def _first_word(page: pymupdf.Page) -> pymupdf.Rect:
    """Where the page's first word is seen: the mark a re-export's shift is read from."""
    return pymupdf.Rect(page.get_text("words")[0][:4]) * page.rotation_matrix
