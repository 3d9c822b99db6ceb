"""The PDF stored in place of a file that the renderer could not draw later, or not quickly.

The renderer draws every evidence image from the stored file, in a child with a time and a memory
limit, long after ingest. Two kinds of file need a copy made while the reader has them open:

- An encrypted PDF opens only with its password, and the password is never kept (not in the
  database, the blobs, the logs). So the reader, once authenticated, stores a decrypted copy.
- A raster image is decoded whole for every render: a 30000 x 30000 px PNG took 11 s and 1.8 GB for
  each crop. So an image above ``MAX_RASTER_PIXELS`` is stored downscaled to that budget, as a
  one-page PDF whose picture is cut into ``TILE`` px tiles placed side by side: a zoom crop then
  decodes only the few tiles it touches.

Both run in the isolated reader (``ingest.worker``), like all MuPDF work on untrusted files.
"""

from __future__ import annotations

import math

import pymupdf

from .extracted import StoredCopy

# An A0 sheet scanned at 300 dpi is 9933 x 14043 px = 139.5 MP: such a scan keeps every pixel. A
# larger image is brought down to this budget, which still gives an A0 sheet about 310 dpi (2.5 mm
# text about 30 px tall); beyond it extra pixels only cost memory and time at every render.
MAX_RASTER_PIXELS = 150_000_000
# Tiles of 1024 px: a 2048 px crop touches at most 3 x 3 of them (9.4 MP decoded of up to 150 MP),
# and a page needs some 150 image objects at most.
TILE = 1024


def decrypted_copy(doc: pymupdf.Document) -> StoredCopy:
    """``doc`` (authenticated) saved without encryption, unused objects dropped."""
    data = doc.tobytes(garbage=3, encryption=pymupdf.mupdf.PDF_ENCRYPT_NONE)
    return StoredCopy(pdf=data, reason="a decrypted copy of the encrypted PDF given (its password is not kept)")


def bounded_raster(doc: pymupdf.Document) -> StoredCopy | None:
    """A copy of ``doc`` (a raster image as ``open_image`` makes it) in which every page whose image
    exceeds ``MAX_RASTER_PIXELS`` is downscaled to it and tiled; None when no page does."""
    largest = [_largest_image(page) for page in doc.pages()]
    if all(width * height <= MAX_RASTER_PIXELS for width, height, _ in largest):
        return None
    copy = pymupdf.open()
    reduced = []
    for index, (width, height, gray) in enumerate(largest):
        if width * height <= MAX_RASTER_PIXELS:
            copy.insert_pdf(doc, from_page=index, to_page=index)
        else:
            size = _tiled_page(copy, doc[index], width, height, gray)
            reduced.append(f"page {index + 1}: {width} x {height} px stored as {size[0]} x {size[1]} px")
    reason = f"a tiled rendition within {MAX_RASTER_PIXELS:,} pixels a page ({'; '.join(reduced)})"
    return StoredCopy(pdf=copy.tobytes(garbage=3, deflate=True), reason=reason)


def _largest_image(page: pymupdf.Page) -> tuple[int, int, bool]:
    """Width and height (pixels) of the page's largest image, and whether it is grayscale (one
    colour component), read from the image headers without decoding any pixels."""
    images = page.get_image_info()
    if not images:
        return 0, 0, False
    largest = max(images, key=lambda image: image["width"] * image["height"])
    return largest["width"], largest["height"], largest["colorspace"] == 1


def _tiled_page(copy: pymupdf.Document, page: pymupdf.Page, width: int, height: int, gray: bool) -> tuple[int, int]:
    """Draw ``page`` within the pixel budget once, then place that picture on a new page of the same
    size in points (so every stored bbox still holds), ``TILE`` px at a time. Returns its pixel size."""
    factor = math.sqrt(MAX_RASTER_PIXELS / (width * height))
    columns, rows = max(1, math.floor(width * factor)), max(1, math.floor(height * factor))
    matrix = pymupdf.Matrix(columns / page.rect.width, rows / page.rect.height)
    picture = page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY if gray else pymupdf.csRGB, alpha=False)
    target = copy.new_page(width=page.rect.width, height=page.rect.height)
    to_points = pymupdf.Matrix(page.rect.width / picture.width, page.rect.height / picture.height)
    for y in range(0, picture.height, TILE):
        for x in range(0, picture.width, TILE):
            box = pymupdf.IRect(x, y, min(x + TILE, picture.width), min(y + TILE, picture.height))
            tile = pymupdf.Pixmap(picture.colorspace, box, False)
            tile.copy(picture, box)
            target.insert_image(pymupdf.Rect(box) * to_points, pixmap=tile)
    return picture.width, picture.height
