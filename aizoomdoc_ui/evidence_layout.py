"""Which of an answer's images a reader sees first, and where each crop sits on its sheet.

An answer can come with five or six images: crops around its hits and wider views of the page
(``viewport``, ``page``). Shown as a grid they read out of order and the crops of unrelated hits take
the space. So the answer shows, in reading order, the crops that support it (cited by the answer,
or holding a block it cites) large and one under the other, each with a small locator: the wider
view of its page with the crop's place outlined. Everything else is one click away.
Pure functions of the stored records: History lays a chat out exactly as the chat page did.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from aizoomdoc_core.models import ChatImage, Citation

WIDE_KINDS = frozenset({"viewport", "page"})  # views of a page that show where a crop sits, not what it says
OUTLINE = (220, 30, 30)


@dataclass(frozen=True)
class Shown:
    """A crop shown up front and, the first time its page comes up, the wider view of that page
    that locates it (if the answer has one), with ``marks``: the up-front crops it outlines."""

    image: ChatImage
    locator: ChatImage | None = None
    marks: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Layout:
    """An answer's images: ``first`` up front in reading order, ``more`` behind one click."""

    first: list[Shown] = field(default_factory=list)
    more: list[ChatImage] = field(default_factory=list)


def arrange(images: Sequence[ChatImage], citations: Sequence[Citation]) -> Layout:
    """Lay out one answer's ``images`` (in the order they were made: best first) for its ``citations``.

    A crop supports the answer when the answer cites it ([In]) or a block inside it ([Bn]). When
    none does (an answer that cites nothing, or only wide views), the first crop does: it was made
    for the best hit. An answer with no crop at all shows its first wide view up front.
    """
    crops = [i for i in images if i.kind not in WIDE_KINDS]
    wide = [i for i in images if i.kind in WIDE_KINDS]
    supporting = [c for c in crops if _supports(c, citations)] or crops[:1]
    if not supporting:
        return Layout(first=[Shown(wide[0])], more=wide[1:]) if wide else Layout()
    locators = {crop.id: _locator(crop, wide) for crop in supporting}
    first: list[Shown] = []
    placed: set[str] = set()
    for crop in supporting:
        locator = locators[crop.id]
        if locator is None or locator.id in placed:
            first.append(Shown(crop))
            continue
        placed.add(locator.id)
        marks = tuple(tuple(c.bbox) for c in supporting if c.bbox and locators[c.id] is locator)
        first.append(Shown(crop, locator, marks))
    up_front = {s.image.id for s in first} | {s.locator.id for s in first if s.locator}
    return Layout(first=first, more=[i for i in images if i.id not in up_front])


def outlined(locator: bytes, region: Sequence[float], marks: Sequence[Sequence[float]]) -> bytes:
    """The ``locator`` image (showing the page ``region``) with where each crop of ``marks`` sits on
    it outlined, as PNG; all boxes are normalized page coordinates, as the images store them."""
    picture = Image.open(io.BytesIO(locator)).convert("RGB")
    width, height = picture.size
    x0, y0, x1, y1 = region
    span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    line = max(2, round(min(width, height) / 150))
    draw = ImageDraw.Draw(picture)
    for crop in marks:
        left, top = (crop[0] - x0) / span_x * width, (crop[1] - y0) / span_y * height
        right, bottom = (crop[2] - x0) / span_x * width, (crop[3] - y0) / span_y * height
        draw.rectangle([max(0, left), max(0, top), min(width - 1, right), min(height - 1, bottom)],
                       outline=OUTLINE, width=line)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def _supports(crop: ChatImage, citations: Sequence[Citation]) -> bool:
    for citation in citations:
        if citation.image_id == crop.id:
            return True
        if (citation.block_id and citation.bbox and crop.bbox and citation.document_id == crop.document_id
                and citation.page == crop.page and _overlaps(citation.bbox, crop.bbox)):
            return True
    return False


def _locator(crop: ChatImage, wide: Sequence[ChatImage]) -> ChatImage | None:
    """The wide view of the crop's page that holds the crop, the widest first (a whole page beats a
    viewport around one hit)."""
    same_page = [w for w in wide if (w.document_id, w.page) == (crop.document_id, crop.page) and w.bbox
                 and crop.bbox and _overlaps(crop.bbox, w.bbox)]
    return max(same_page, key=lambda w: _area(w.bbox or [0, 0, 0, 0]), default=None)


def _overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _area(box: Sequence[float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
