"""Images of a sheet a person (or a model) can read: page overviews, viewports, zoom crops, and the
viewer's views of any region at the pixels it is shown at.

Legibility is the point. A 2.5 mm label on an A1 sheet squeezed into a 2000 px preview is 6 px tall:
nobody reads it. A zoom crop is rendered from the PDF itself (vector, through ``clip``) at the scale
that makes the text in the region about ``TEXT_PX`` pixels tall (measured from the font sizes of the
spans inside it), within ``max_side`` pixels on the long side; a scanned page is cropped at its
native resolution, since upscaling adds no detail. Every image says which page region it shows, its
pixel size, its scale (pixels per point) and how tall its text came out, so any claim traces back
to the sheet.

The drawing functions run inside an isolated child (``aizoomdoc_core.isolation``): rendering is
where a decompression bomb would be decoded. ``Renderer`` does that for stored documents, keeping
recent originals and images in memory so that a rerun or a repeated zoom renders nothing again.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pymupdf
from PIL import Image, ImageDraw

from .errors import InvalidInput
from .ingest.pdf import IMAGE_MIMES, open_image, open_pdf, sniff_image
from .isolation import Report, Task, run_isolated
from .lru import SizedLRU
from .models import DocumentInfo
from .storage.interfaces import BlobStore
from .terms import matched_concepts

TEXT_PX = 20.0  # target height of text in a zoom crop, pixels per font size unit
MIN_TEXT_PX = 16.0  # the least a crop's text is drawn at: a wide row is drawn down to it to be shown whole
MAX_SIDE = 2048  # the model's image size limit, long side
MIN_SIDE = 768  # a crop of big text is still drawn this large, so that its surroundings can be read
VIEWPORT_SIDE = 1024
PAGE_SIDE = 1568
CONTEXT_CANVAS = (1024, 704)  # a context crop's pixels before it widens for a long table row
MIN_REGION = 0.02  # a crop is at least this fraction of the page on each side
MIN_VIEW_REGION = 0.001  # the viewer zooms in to a thousandth of the page (0.8 mm of an A1 sheet)
VIEW_MAX_SIDE = 4096  # the viewer's images: a 4K screen, full screen, at most
OUTLINE = (220, 20, 60)
TEXT_FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES  # spans and their sizes, no image pixels

Concepts = tuple[tuple[str, ...], ...]  # a question's concepts: per word, its alternative terms


@dataclass
class Rendered:
    png: bytes
    width: int
    height: int
    bbox: list[float]  # the page region shown, normalized to the displayed page
    scale: float  # pixels per PDF point
    text_px: float | None  # rendered size of the text it was drawn for (the hit's, else the region's median)
    # The hit was larger than the crop, so the question's words chose where the crop goes.
    depends_on_question: bool = False
    page_pt: tuple[float, float] = (0.0, 0.0)  # the whole displayed page, points


def open_renderable(data: bytes, mime: str, name: str) -> pymupdf.Document:
    """The stored original as a document that can be drawn (PDFs and raster images)."""
    image = sniff_image(data[:64])
    if image:
        return open_image(data, name, image)
    if mime == "application/pdf":
        return open_pdf(data, name, None)
    raise InvalidInput(f"{name}: a text document has no drawing to show")


def clamp_bbox(bbox: list[float], minimum: float = MIN_REGION) -> list[float]:
    """``bbox`` inside the page, ordered, and at least ``minimum`` wide and tall (grown around its centre)."""
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in bbox)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    box = [x0, y0, x1, y1]
    for axis in (0, 1):
        lo, hi = box[axis], box[axis + 2]
        if hi - lo < minimum:
            centre = (lo + hi) / 2
            lo = min(max(0.0, centre - minimum / 2), 1.0 - minimum)
            box[axis], box[axis + 2] = lo, lo + minimum
    return [round(v, 5) for v in box]


def zoom_crop(doc: pymupdf.Document, page_number: int, bbox: list[float], max_side: int = MAX_SIDE) -> Rendered:
    """The region at the scale that makes its text about TEXT_PX tall (native resolution for scans)."""
    page = _page(doc, page_number)
    region = _rect(page, clamp_bbox(bbox))
    text = _text_size(page, region)
    if text is not None:
        wanted = TEXT_PX / text
    else:
        wanted = _native_scale(page) or 2.0
    longest = max(region.width, region.height)
    scale = min(max(wanted, MIN_SIDE / longest), max_side / longest)
    return _draw(page, region, scale, text, max_side)


def context_crop(
    doc: pymupdf.Document, page_number: int, bbox: list[float], canvas: tuple[int, int] = CONTEXT_CANVAS,
    concepts: Concepts = (), pixels: int | None = None,
) -> Rendered:
    """A hit with as much of its surroundings as fits ``canvas`` pixels at a legible scale.

    The value a question asks for is rarely inside the block that matched it: it is the cell to the
    right of the label, the line under the heading, and often smaller than the label. So the scale
    makes the small text around the hit (the lower quartile of the font sizes near it) TEXT_PX tall,
    and the crop is as large as the canvas allows at that scale, the hit near its top-left; a wide
    hit (a table row) widens the canvas up to MAX_SIDE, and one wider still is drawn smaller, down
    to MIN_TEXT_PX, to be shown to its last cell. A hit still larger than that (a title block,
    a page of notes) is not shrunk: the crop goes where the question's words (``concepts``, as
    ``terms.query_concepts`` gives them) gather inside it, else where the hit starts.

    ``pixels`` is what is left of a question's image budget: the canvas shrinks to fit it, and a
    wide hit widens it only as far as it allows, at the same legible scale (a smaller crop of the
    fourth hit rather than none).
    """
    canvas, widest = _fit(canvas, pixels)
    page = _page(doc, page_number)
    hit = _rect(page, clamp_bbox(bbox, minimum=0.001))
    text = _text_size(page, _rect(page, clamp_bbox(bbox, minimum=0.15)), quantile=0.25) or _text_size(page, hit)
    scale = TEXT_PX / text if text else (_native_scale(page) or 2.0)
    if text and hit.width * scale * 1.05 > widest:  # a row a little too wide: smaller, still legible, whole
        scale = max(MIN_TEXT_PX * 1.02 / text, widest / (hit.width * 1.05))  # 2%: the clip's pixel rounding
    width = min(widest, max(canvas[0], hit.width * scale * 1.1)) / scale
    width, height = _inside_page(page.rect, width, canvas[1] / scale, MAX_SIDE / scale)
    too_large = hit.width > width or hit.height > height
    if concepts and too_large:
        hit = _focus(page, hit, concepts, width, height) or hit
    # Labels and headings come before what they name: the value right of the label, the table or
    # the notes under the heading. So the hit sits near the crop's top-left rather than its centre.
    # The margin never pushes the hit's far end out: a table row is shown to its last cell.
    x0 = hit.x0 - max(0.0, min(0.2 * width, width - hit.width))
    y0 = hit.y0 - max(0.0, min(0.15 * height, height - hit.height))
    x0 = min(max(0.0, x0), max(0.0, page.rect.width - width))
    y0 = min(max(0.0, y0), max(0.0, page.rect.height - height))
    region = pymupdf.Rect(x0, y0, min(page.rect.width, x0 + width), min(page.rect.height, y0 + height))
    rendered = _draw(page, region, scale, text, MAX_SIDE)
    rendered.depends_on_question = too_large
    return rendered


def _fit(canvas: tuple[int, int], pixels: int | None) -> tuple[tuple[int, int], int]:
    """``canvas`` shrunk (its shape kept) to at most ``pixels``, and how wide a wide hit may widen
    it within them (up to MAX_SIDE)."""
    if pixels is None:
        return canvas, MAX_SIDE
    pixels = int(pixels * 0.98)  # MuPDF rounds a clip's pixel edges outwards
    if pixels < canvas[0] * canvas[1]:
        shrink = math.sqrt(pixels / (canvas[0] * canvas[1]))
        canvas = (max(1, int(canvas[0] * shrink)), max(1, int(canvas[1] * shrink)))
    return canvas, max(canvas[0], min(MAX_SIDE, pixels // canvas[1] - 1))


def _inside_page(page: pymupdf.Rect, width: float, height: float, limit: float) -> tuple[float, float]:
    """A crop ``width`` x ``height`` (points) that does not reach past the page: the canvas a crop
    wider than the page (an A4 sheet at a legible scale) would spend past its edge goes to its
    height instead, and the other way round, up to ``limit`` on a side."""
    if width > page.width:
        return page.width, min(limit, page.height, height * width / page.width)
    if height > page.height:
        return min(limit, page.width, width * height / page.height), page.height
    return width, height


def _focus(page: pymupdf.Page, hit: pymupdf.Rect, concepts: Concepts, width: float, height: float) -> pymupdf.Rect | None:
    """The word of ``hit`` to place a ``width`` x ``height`` crop on: the one whose crop holds the
    most different question concepts (the label "SHEET TITLE:" next to the project name, rather
    than the far end of the title block), None when no word of the hit matches the question."""
    matched = _matching_words(page, hit, concepts)
    best: tuple[int, pymupdf.Rect] | None = None
    for box, _ in matched:
        window = pymupdf.Rect(box.x0 - 0.2 * width, box.y0 - 0.15 * height, box.x0 + 0.8 * width, box.y0 + 0.85 * height)
        seen = set().union(*(found for other, found in matched if window.contains(other)))
        if best is None or len(seen) > best[0]:
            best = (len(seen), box)
    return best[1] if best else None


def _matching_words(page: pymupdf.Page, hit: pymupdf.Rect, concepts: Concepts) -> list[tuple[pymupdf.Rect, set[int]]]:
    """The words inside ``hit`` (displayed points) that hold a question concept, with which ones."""
    clip = pymupdf.Rect(hit * page.derotation_matrix)  # words are extracted in unrotated space
    clip.normalize()
    matched = []
    for x0, y0, x1, y1, text, *_ in page.get_text("words", clip=clip):
        box = pymupdf.Rect(x0, y0, x1, y1) * page.rotation_matrix
        box.normalize()
        if not hit.contains((box.tl + box.br) / 2):  # the hit's edges are rounded: a word may touch them
            continue
        found = matched_concepts(concepts, text)
        if found:
            matched.append((box, found))
    return matched


def viewport(doc: pymupdf.Document, page_number: int, bbox: list[float], max_side: int = VIEWPORT_SIDE) -> Rendered:
    """The hit with enough surroundings to see where on the sheet it is, the hit outlined."""
    page = _page(doc, page_number)
    hit = clamp_bbox(bbox, minimum=0.005)
    width, height = hit[2] - hit[0], hit[3] - hit[1]
    span_x, span_y = max(0.35, 3 * width), max(0.35, 3 * height)
    cx, cy = (hit[0] + hit[2]) / 2, (hit[1] + hit[3]) / 2
    around = clamp_bbox([cx - span_x / 2, cy - span_y / 2, cx + span_x / 2, cy + span_y / 2])
    around = _shift_inside(around, cx, cy, span_x, span_y)
    region = _rect(page, around)
    scale = max_side / max(region.width, region.height)
    return _draw(page, region, scale, _text_size(page, region), max_side, outline=_rect(page, hit))


def page_overview(doc: pymupdf.Document, page_number: int, max_side: int = PAGE_SIDE) -> Rendered:
    """The whole page with a labelled grid (tenths of the page), so a model can name regions."""
    page = _page(doc, page_number)
    region = page.rect
    scale = max_side / max(region.width, region.height)
    return _draw(page, region, scale, _text_size(page, region), max_side, grid=True)


def view(doc: pymupdf.Document, page_number: int, region: list[float], pixels: tuple[int, int]) -> Rendered:
    """``region`` of the page drawn to fill ``pixels`` (width, height), its shape kept: what a
    viewer shows at its current zoom, one image pixel per screen pixel.

    A vector page is drawn again from the PDF at every zoom, so a 2 mm label is as sharp at 4000 %
    as a 20 mm one at 100 %; a scan is resampled by MuPDF, never beyond VIEW_MAX_SIDE pixels a side
    (the screen of a viewer in full screen on a 4K display), so that a hostile zoom cannot ask for a
    gigapixel image.
    """
    page = _page(doc, page_number)
    box = _rect(page, view_region(region))
    width, height = (max(1, min(VIEW_MAX_SIDE, int(v))) for v in pixels)
    scale = min(width / box.width, height / box.height)
    return _draw(page, box, scale, None, VIEW_MAX_SIDE)


def view_region(region: Sequence[float] | None) -> list[float]:
    """A region a viewer asked for (it came from a browser, or a URL) as a page region: four finite
    numbers, clamped inside the page and at least MIN_VIEW_REGION a side; None is the whole page."""
    if region is None:
        return [0.0, 0.0, 1.0, 1.0]
    try:
        values = [float(v) for v in region]
    except (TypeError, ValueError):
        raise InvalidInput("a region is four numbers: x0, y0, x1, y1 (0 to 1 of the page)") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput("a region is four numbers: x0, y0, x1, y1 (0 to 1 of the page)")
    return clamp_bbox(values, minimum=MIN_VIEW_REGION)


def drawable(document: DocumentInfo) -> bool:
    """Whether the stored original has a drawing to show: PDFs and raster images do; the earlier
    pipeline's Markdown, HTML and JSON outputs are text only."""
    return document.blob_key is not None and (document.mime == "application/pdf" or document.mime in IMAGE_MIMES.values())


def _page(doc: pymupdf.Document, number: int) -> pymupdf.Page:
    if not 1 <= number <= doc.page_count:
        raise InvalidInput(f"page {number} does not exist (the document has {doc.page_count})")
    return doc.load_page(number - 1)


def _rect(page: pymupdf.Page, bbox: list[float]) -> pymupdf.Rect:
    """A normalized bbox as a rectangle in displayed-page points (what ``clip`` takes)."""
    width, height = page.rect.width, page.rect.height
    return pymupdf.Rect(bbox[0] * width, bbox[1] * height, bbox[2] * width, bbox[3] * height)


def _shift_inside(box: list[float], cx: float, cy: float, span_x: float, span_y: float) -> list[float]:
    """Keep the viewport's size when the hit is near an edge, by sliding it inside the page."""
    span_x, span_y = min(span_x, 1.0), min(span_y, 1.0)
    x0 = min(max(0.0, cx - span_x / 2), 1.0 - span_x)
    y0 = min(max(0.0, cy - span_y / 2), 1.0 - span_y)
    return [round(x0, 5), round(y0, 5), round(x0 + span_x, 5), round(y0 + span_y, 5)]


def _text_size(page: pymupdf.Page, region: pymupdf.Rect, quantile: float = 0.5) -> float | None:
    """A font size (points; the median by default) of the text spans in ``region``, None without text.

    Text extraction works in unrotated page space, while ``region`` is on the displayed page.
    Images are left out of the extraction: with them, every image on the page is decoded (6 s for
    a 150 MP scan) only to be thrown away.
    """
    clip = pymupdf.Rect(region * page.derotation_matrix)
    clip.normalize()
    sizes = [
        span["size"]
        for block in page.get_text("dict", clip=clip, flags=TEXT_FLAGS)["blocks"]
        for line in block.get("lines", [])
        for span in line["spans"]
        if span["text"].strip() and span["size"] > 0
    ]
    if not sizes:
        return None
    sizes.sort()
    return sizes[min(len(sizes) - 1, int(quantile * len(sizes)))] if quantile != 0.5 else statistics.median(sizes)


def _native_scale(page: pymupdf.Page) -> float | None:
    """Pixels per point of the largest image on the page (a scan's own resolution)."""
    best = None
    for info in page.get_image_info():
        box = pymupdf.Rect(info["bbox"])
        if box.width > 0 and info.get("width"):
            area = box.width * box.height
            if best is None or area > best[0]:
                best = (area, info["width"] / box.width)
    return best[1] if best else None


def _within(region: pymupdf.Rect, scale: float, max_side: int) -> float:
    """``scale``, or a slightly smaller one if drawing ``region`` at it would exceed ``max_side``
    pixels on a side. MuPDF rounds a clip's pixel edges outwards, so a region exactly ``max_side``
    pixels long that does not start on a whole pixel comes out one pixel longer; at
    ``(max_side - 1)`` pixels exactly, outward rounding cannot reach past ``max_side``."""
    pixels = (region * pymupdf.Matrix(scale, scale)).irect
    if max(pixels.width, pixels.height) <= max_side:
        return scale
    return (max_side - 1) / max(region.width, region.height)


def _draw(
    page: pymupdf.Page,
    region: pymupdf.Rect,
    scale: float,
    text: float | None,
    max_side: int,
    outline: pymupdf.Rect | None = None,
    grid: bool = False,
) -> Rendered:
    """``region`` at ``scale``, at most ``max_side`` pixels on either side, with its outline."""
    scale = _within(region, scale, max_side)
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), clip=region, alpha=False)
    image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    draw = ImageDraw.Draw(image)
    if outline is not None:
        corners = [(outline.x0 - region.x0) * scale, (outline.y0 - region.y0) * scale,
                   (outline.x1 - region.x0) * scale, (outline.y1 - region.y0) * scale]
        draw.rectangle(corners, outline=OUTLINE, width=max(2, round(min(image.size) / 300)))
    if grid:
        _grid(draw, image.size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    width, height = page.rect.width, page.rect.height
    return Rendered(
        png=buffer.getvalue(),
        width=image.width,
        height=image.height,
        bbox=[round(region.x0 / width, 5), round(region.y0 / height, 5), round(region.x1 / width, 5), round(region.y1 / height, 5)],
        scale=round(scale, 4),
        text_px=round(text * scale, 1) if text is not None else None,
        page_pt=(round(width, 2), round(height, 2)),
    )


def _grid(draw: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    """Lines at every tenth of the page, labelled 0.1 ... 0.9 along the top and left edges."""
    width, height = size
    for tenth in range(1, 10):
        x, y = width * tenth / 10, height * tenth / 10
        draw.line([(x, 0), (x, height)], fill=(30, 144, 255), width=1)
        draw.line([(0, y), (width, y)], fill=(30, 144, 255), width=1)
        label = f"0.{tenth}"
        draw.text((x + 3, 3), label, fill=(30, 144, 255))
        draw.text((3, y + 3), label, fill=(30, 144, 255))


KINDS = frozenset({"zoom_crop", "context_crop", "viewport", "page"})


def _render_task(
    data: bytes, mime: str, name: str, kind: str, page: int, bbox: list[float] | None, concepts: Concepts,
    pixels: int | None, _: Report,
) -> Rendered:
    doc = open_renderable(data, mime, name)
    if kind == "page":
        return page_overview(doc, page)
    region = bbox or [0.0, 0.0, 1.0, 1.0]
    if kind == "context_crop":
        return context_crop(doc, page, region, concepts=concepts, pixels=pixels)
    if kind == "viewport":
        return viewport(doc, page, region)
    return zoom_crop(doc, page, region)


def _view_task(data: bytes, mime: str, name: str, page: int, region: list[float], pixels: tuple[int, int], _: Report) -> Rendered:
    return view(open_renderable(data, mime, name), page, region, pixels)


class Renderer:
    """Renders regions of stored documents in isolated children, with caches for reruns."""

    def __init__(self, blobs: BlobStore, *, seconds: float = 60.0, memory_bytes: int = 2 * 1024**3) -> None:
        self.blobs = blobs
        self.seconds, self.memory_bytes = seconds, memory_bytes
        self.originals = SizedLRU(256 * 1024**2)
        self.images = SizedLRU(128 * 1024**2)

    def render(
        self, kind: str, document: DocumentInfo, page: int, bbox: list[float] | None = None, concepts: Concepts = (),
        pixels: int | None = None,
    ) -> Rendered:
        """``kind`` is one of KINDS; ``concepts`` (the question's) place a context crop on a large hit,
        ``pixels`` bound its size (``context_crop``). Raises ``InvalidInput`` when it cannot be drawn."""
        if kind not in KINDS:
            raise InvalidInput(f"unknown image kind: {kind!r}")
        if not 1 <= page <= document.page_count:
            raise InvalidInput(f"page {page} does not exist in {document.name} ({document.page_count} pages)")
        return self._cached(
            (document.id, page, kind, tuple(bbox) if bbox else None, pixels), document.name,
            lambda: partial(_render_task, self.original(document), document.mime, document.name, kind, page, bbox,
                            concepts, pixels),
            question=concepts,
        )

    def view(self, document: DocumentInfo, page: int, region: list[float], pixels: tuple[int, int]) -> Rendered:
        """``region`` of the page at ``pixels`` (the viewer's, see ``view``), cached like any image:
        a rerun that shows the same view draws nothing again."""
        if not 1 <= page <= document.page_count:
            raise InvalidInput(f"page {page} does not exist in {document.name} ({document.page_count} pages)")
        return self._cached(
            (document.id, page, "view", tuple(region), pixels), document.name,
            lambda: partial(_view_task, self.original(document), document.mime, document.name, page, region, pixels),
        )

    def _cached(self, key: Any, name: str, make_task: Callable[[], Task], question: Concepts = ()) -> Rendered:
        """The image for ``key`` from the cache, else drawn by the task in an isolated child.

        The task is made only on a miss: making it fetches the original from the blob store. Only
        an image the ``question`` placed (``depends_on_question``) is cached per question: the
        others serve every question.
        """
        cached = self.images.get(key)
        if cached is not None and not (question and cached.depends_on_question):
            return cached
        if question and (cached := self.images.get((*key, question))) is not None:
            return cached
        (rendered,) = run_isolated([make_task()], name=name, seconds=self.seconds, memory_bytes=self.memory_bytes)
        self.images.put((*key, question) if question and rendered.depends_on_question else key, rendered, len(rendered.png))
        return rendered

    def original(self, document: DocumentInfo) -> bytes:
        """The stored file, cached: what every image of it, and a comparison of it, is drawn from."""
        if document.blob_key is None:
            raise InvalidInput(f"{document.name}: the original file is not stored")
        data = self.originals.get(document.id)
        if data is None:
            data = self.blobs.get(document.blob_key)
            self.originals.put(document.id, data, len(data))
        return data
