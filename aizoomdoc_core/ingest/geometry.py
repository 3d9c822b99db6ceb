"""From PDF coordinates to the page as a person sees it.

PyMuPDF reports text and annotation positions in the unrotated page space. A sheet with /Rotate 270
(A01 in the corpus) is seen turned, so every rectangle goes through ``page.rotation_matrix`` and is
then divided by the displayed page size (``page.rect``): the result is the normalized, top-left
origin bbox of ARCHITECTURE.md, the same whatever the rotation.
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


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def normalized_bbox(page: pymupdf.Page, rect: pymupdf.Rect | tuple[float, float, float, float]) -> list[float]:
    """``rect`` (unrotated page coordinates) as ``[x0, y0, x1, y1]`` in 0..1 of the displayed page."""
    shown = pymupdf.Rect(rect) * page.rotation_matrix
    shown.normalize()
    width, height = page.rect.width or 1.0, page.rect.height or 1.0
    return [
        round(_clamp(shown.x0 / width), 5),
        round(_clamp(shown.y0 / height), 5),
        round(_clamp(shown.x1 / width), 5),
        round(_clamp(shown.y1 / height), 5),
    ]


def page_words(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> list[Word]:
    """Every word of the page's text layer (or of an OCR text page) in display coordinates."""
    words = page.get_text("words", textpage=textpage) if textpage is not None else page.get_text("words")
    result = []
    for x0, y0, x1, y1, text, block, line, _ in words:
        bx0, by0, bx1, by1 = normalized_bbox(page, (x0, y0, x1, y1))
        result.append(Word(bx0, by0, bx1, by1, text, block, line))
    return result
