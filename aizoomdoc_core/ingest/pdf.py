"""PDFs and raster images into pages and blocks, with PyMuPDF (and Tesseract through it for OCR).

Per page: the displayed size and rotation, the text layer grouped into PyMuPDF's blocks (with words
deduplicated, because some CAD exports write every glyph twice), the text kept only in annotation
contents (AutoCAD SHX text survives as hidden annotations), and the title block. A page without a
text layer is OCR'd when Tesseract is installed; otherwise it stays image-only and the document says
so. Raster images (PNG, JPEG, TIFF...) become one-page PDFs first and follow the same path.

This module only reads; it runs inside the isolated worker of ``ingest.worker`` because hostile
files can make MuPDF loop or allocate without bound.
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pymupdf

from ..errors import InvalidInput
from .extracted import ExtractedBlock, ExtractedDocument, ExtractedPage, document_status, in_passages
from .geometry import DisplayFrame, Word, page_words
from .passages import LONG_BLOCK
from .title_block import extract_title_block

Progress = Callable[[int, int], None]
OCR_LANGUAGES = "eng+rus"
OCR_DPI = 200
MAX_OCR_IMAGE_PIXELS = 80_000_000  # an image declaring more is not decoded for OCR (decompression bombs)
IMAGE_MIMES = {
    "png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "tiff": "image/tiff",
    "tif": "image/tiff", "bmp": "image/bmp", "gif": "image/gif", "webp": "image/webp",
}

pymupdf.TOOLS.mupdf_display_errors(False)  # MuPDF's own stderr chatter; failures surface as exceptions


def ocr_available() -> bool:
    """True when Tesseract's data for every language the OCR reads is installed where PyMuPDF finds
    it (``TESSDATA_PREFIX``, else where ``tesseract`` says)."""
    return _tessdata_ready(os.environ.get("TESSDATA_PREFIX"))


@lru_cache(maxsize=4)
def _tessdata_ready(prefix: str | None) -> bool:
    """Asked once per folder setting: finding the folder runs ``tesseract`` when no prefix is set."""
    try:
        folder = Path(pymupdf.get_tessdata(prefix))
    except Exception:  # no Tesseract installed
        return False
    return all((folder / f"{language}.traineddata").is_file() for language in OCR_LANGUAGES.split("+"))


def sniff_image(head: bytes) -> str | None:
    """The raster type of ``head`` from its magic bytes, or None."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"), (b"BM", "bmp"), (b"GIF8", "gif"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def open_pdf(data: bytes, name: str, password: str | None) -> pymupdf.Document:
    """Open ``data`` as a PDF, authenticating when it is encrypted; one-line errors otherwise."""
    return open_pdf_authenticated(data, name, password)[0]


def open_pdf_authenticated(data: bytes, name: str, password: str | None) -> tuple[pymupdf.Document, bool]:
    """``open_pdf``, also saying whether the PDF needed its password. That cannot be asked of the
    document afterwards: MuPDF's ``needs_pass`` tries the empty password, which drops the key."""
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise InvalidInput(f"{name}: not a readable PDF ({_reason(exc)})") from None
    needed = bool(doc.needs_pass)
    if needed:
        if not password:
            raise InvalidInput(f"{name}: the PDF is encrypted; give its password (--password)")
        if not any(doc.authenticate(form) for form in password_forms(password)):
            raise InvalidInput(f"{name}: wrong password for the encrypted PDF")
    try:
        count = doc.page_count
    except Exception as exc:
        raise InvalidInput(f"{name}: broken page tree ({_reason(exc)})") from None
    if count == 0:
        raise InvalidInput(f"{name}: the PDF has no pages")
    return doc, needed


def password_forms(password: str) -> list[str]:
    """``password`` as typed, then in its other Unicode normal forms.

    The same "é" can be typed as one code point (NFC, what most systems set) or as "e" plus a
    combining accent (NFD, what macOS file dialogs and some keyboards give), and AES-256 PDFs
    (PDF 2.0) prepare passwords with SASLprep, which is NFKC. MuPDF compares bytes, so each form is
    tried.
    """
    return list(dict.fromkeys([password, *(unicodedata.normalize(form, password) for form in ("NFC", "NFKC", "NFD"))]))


def open_image(data: bytes, name: str, kind: str) -> pymupdf.Document:
    """A raster image as a one-page PDF whose page is the image at its own resolution."""
    try:
        image = pymupdf.open(stream=data, filetype=kind)
        pdf = pymupdf.open("pdf", image.convert_to_pdf())
    except Exception as exc:
        raise InvalidInput(f"{name}: not a readable {kind.upper()} image ({_reason(exc)})") from None
    if pdf.page_count == 0:
        raise InvalidInput(f"{name}: the image has no frames")
    return pdf


def extract_pdf_document(
    doc: pymupdf.Document,
    name: str,
    *,
    mime: str,
    max_pages: int,
    ocr: bool,
    share: tuple[int, int] = (0, 1),
    progress: Progress | None = None,
) -> ExtractedDocument:
    """The pages of ``doc`` as ExtractedPages; OCR for pages without text when ``ocr`` is on.

    ``share`` = (k, n) reads only every n-th page starting at index k, so that n readers can split a
    document between them; ``progress`` gets (pages read in this share, pages in the document).
    """
    total = doc.page_count
    if total > max_pages:
        raise InvalidInput(f"{name}: the document has {total} pages; the limit is {max_pages}")
    pages: list[ExtractedPage] = []
    warnings: list[str] = []
    first, step = share
    for index in range(first, total, step):
        try:
            page = doc.load_page(index)
            pages.append(_extract_page(page, index + 1, ocr=ocr, warnings=warnings))
        except InvalidInput:
            raise
        except Exception as exc:
            raise InvalidInput(f"{name}: page {index + 1} cannot be read ({_reason(exc)})") from None
        if progress:
            progress(len(pages), total)
    if not ocr and any(not p.has_text_layer for p in pages):
        warnings.append("no OCR available (install tesseract-ocr): pages without a text layer are image-only")
    return ExtractedDocument(
        mime=mime,
        pages=pages,
        status=document_status(pages),
        metadata={"ocr_pages": [p.number for p in pages if p.metadata.get("ocr")], **_pdf_metadata(doc)},
        warnings=warnings,
    )


def _extract_page(page: pymupdf.Page, number: int, *, ocr: bool, warnings: list[str]) -> ExtractedPage:
    words = _dedupe(page_words(page))
    has_text_layer = bool(words)
    metadata: dict[str, object] = {}
    if not words and ocr:
        words = _ocr_words(page, number, warnings)
        metadata["ocr"] = bool(words)
    kind = "ocr" if metadata.get("ocr") else "text"
    blocks = _blocks_from_words(words, number, kind) + _annotation_blocks(page, number)
    title = extract_title_block(words)
    return ExtractedPage(
        number=number,
        width_pt=round(page.rect.width, 2),
        height_pt=round(page.rect.height, 2),
        rotation=page.rotation,
        has_text_layer=has_text_layer,
        title_block=title,
        blocks=blocks,
        metadata=metadata,
    )


def _dedupe(words: list[Word]) -> list[Word]:
    """Drop words repeated at the same place (duplicated text layers would double every hit)."""
    seen: set[tuple[object, ...]] = set()
    unique = []
    for word in words:
        key = (word.text, int(word.x0 * 1000), int(word.y0 * 1000))
        if key not in seen:
            seen.add(key)
            unique.append(word)
    return unique


def _blocks_from_words(words: list[Word], page: int, kind: str) -> list[ExtractedBlock]:
    grouped: dict[int, list[Word]] = defaultdict(list)
    for word in words:
        grouped[word.block].append(word)
    blocks = []
    for block_no, members in sorted(grouped.items()):
        lines: dict[int, list[Word]] = defaultdict(list)
        for word in members:
            lines[word.line].append(word)
        ordered = [lines[n] for n in sorted(lines)]
        text = "\n".join(" ".join(w.text for w in line) for line in ordered)
        block = ExtractedBlock(key=f"p{page}-b{block_no}", page=page, kind=kind, text=text, bbox=_bbox(members))
        blocks += in_passages(block, [_bbox(line) for line in ordered]) if len(text) > LONG_BLOCK else [block]
    return blocks


def _bbox(words: list[Word]) -> list[float]:
    return [min(w.x0 for w in words), min(w.y0 for w in words), max(w.x1 for w in words), max(w.y1 for w in words)]


def _annotation_blocks(page: pymupdf.Page, number: int) -> list[ExtractedBlock]:
    """Text that lives only in annotations' contents, placed at the annotation's rectangle."""
    blocks = []
    frame = DisplayFrame(page)
    for index, annot in enumerate(page.annots() or []):
        content = (annot.info.get("content") or "").strip()
        if not content:
            continue
        blocks.append(
            ExtractedBlock(
                key=f"p{number}-a{index}",
                page=number,
                kind="annotation",
                text=content,
                bbox=list(frame.bbox(*annot.rect)),
                metadata={"annotation": annot.type[1]},
            )
        )
    return blocks


def _ocr_words(page: pymupdf.Page, number: int, warnings: list[str]) -> list[Word]:
    """Words Tesseract reads on the page, unless an embedded image is too large to decode safely."""
    largest = max((w * h for _, _, w, h, *_ in page.get_images(full=True)), default=0)
    if largest > MAX_OCR_IMAGE_PIXELS:
        warnings.append(f"page {number}: an image of {largest:,} pixels was not OCR'd (limit {MAX_OCR_IMAGE_PIXELS:,})")
        return []
    try:
        textpage = page.get_textpage_ocr(language=OCR_LANGUAGES, dpi=OCR_DPI, full=True)
    except Exception as exc:
        warnings.append(f"page {number}: OCR failed ({_reason(exc)})")
        return []
    return [w for w in _dedupe(page_words(page, textpage)) if any(c.isalnum() for c in w.text)]


def _pdf_metadata(doc: pymupdf.Document) -> dict[str, str]:
    meta = doc.metadata or {}
    return {k: v for k in ("title", "author", "creator", "producer") if (v := (meta.get(k) or "").strip())}


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
