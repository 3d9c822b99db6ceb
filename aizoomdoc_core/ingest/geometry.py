"""From PDF coordinates to the page as a person sees it.

PyMuPDF reports text and annotation positions in the unrotated page space. A sheet with /Rotate 270
is seen turned, so every rectangle goes through ``page.rotation_matrix`` and is then divided by the
displayed page size (``page.rect``): the result is the normalized, top-left origin bbox of
ARCHITECTURE.md, the same whatever the rotation.
"""

from __future__ import annotations

from typing import NamedTuple

import pymupdf


class Word(NamedTuple):
    """A word with its normalized display bbox; block/line numbers as PyMuPDF groups them."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    block: int
    line: int


class DisplayFrame:
    """The transform from a page's unrotated coordinates to its normalized display coordinates.

    Built once per page: PyMuPDF recomputes ``page.rotation_matrix`` on every access, which costs
    more than reading the page's text when done per word.
    """

    def __init__(self, page: pymupdf.Page) -> None:
        m = page.rotation_matrix
        self.a, self.b, self.c, self.d, self.e, self.f = m.a, m.b, m.c, m.d, m.e, m.f
        self.width = page.rect.width or 1.0
        self.height = page.rect.height or 1.0

    def bbox(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        # The page transform maps axis-aligned rectangles to axis-aligned rectangles (rotations by
        # multiples of 90 degrees), so the two corners give the whole box.
        ax, ay = self.a * x0 + self.c * y0 + self.e, self.b * x0 + self.d * y0 + self.f
        bx, by = self.a * x1 + self.c * y1 + self.e, self.b * x1 + self.d * y1 + self.f
        if ax > bx:
            ax, bx = bx, ax
        if ay > by:
            ay, by = by, ay
        w, h = self.width, self.height
        return min(1.0, max(0.0, ax / w)), min(1.0, max(0.0, ay / h)), min(1.0, max(0.0, bx / w)), min(1.0, max(0.0, by / h))


def page_words(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> list[Word]:
    """Every word of the page's text layer (or of an OCR text page) in display coordinates."""
    words = page.get_text("words", textpage=textpage) if textpage is not None else page.get_text("words")
    frame = DisplayFrame(page)
    return [Word(*frame.bbox(x0, y0, x1, y1), text, block, line) for x0, y0, x1, y1, text, block, line, _ in words]
