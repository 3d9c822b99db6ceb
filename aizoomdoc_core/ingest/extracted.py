"""What every extractor returns: a document as pages and text blocks, before anything is stored.

Extractors (PDF, raster/OCR, the earlier pipeline's Markdown/HTML/JSON) only read bytes and build
these records; ``ingest`` stores them in one transaction. Coordinates follow ARCHITECTURE.md: a bbox
is ``[x0, y0, x1, y1]`` normalized 0..1 to the page as a person sees it (after /Rotate), origin
top-left; page numbers are 1-based.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sanitize import clean_text
from ..terms import index_terms
from .passages import passage_key, passages

FULL_PAGE = [0.0, 0.0, 1.0, 1.0]


@dataclass(slots=True)
class ExtractedBlock:
    key: str  # the block id shown in hits and citations, unique within the document
    page: int  # 1-based
    kind: str  # "text", "annotation", "ocr", "table", "image" ...
    text: str
    bbox: list[float] = field(default_factory=lambda: list(FULL_PAGE))
    metadata: dict[str, Any] = field(default_factory=dict)
    terms: str = ""  # search terms, space-separated: filled by prepare_for_index
    term_count: int = 0


SNIFF_BYTES = 64 * 1024  # the head of a file that ingest.detect reads to tell its format

# ``TitleBlock.fields`` keys every extractor uses, with the label a person reads (and searches for).
TITLE_BLOCK_HEADING = "Title block / Штамп (основная надпись)"
FIELD_LABELS = {
    "drawn_by": "Drawn by / Разраб.", "checked_by": "Checked by / Пров.", "tech_control": "Т.контр.",
    "norm_control": "Н.контр.", "approved_by": "Approved by / Утв.", "chief_engineer": "ГИП",
    "scale": "Scale / Масштаб", "mass": "Масса", "format": "Format / Формат", "date": "Date / Дата",
    "start_date": "Start date", "sheets_total": "Sheets / Листов", "project": "Project / Объект",
    "building": "Building / Здание", "client": "Client / Заказчик", "address": "Address / Адрес",
    "job_number": "Job no.", "revision": "Revision / Изм.", "material": "Material / Материал",
    "quantity": "Quantity / Кол.", "organization": "Organization / Организация",
    "drawing_name": "Drawing / Чертёж", "chief_architect": "ГАП", "head_of_department": "Нач. отд.",
    "chief_specialist": "Гл. спец.",
}


@dataclass(slots=True)
class TitleBlock:
    """Fields of a sheet's title block (Russian «основная надпись» or an English title block)."""

    sheet_code: str | None = None  # шифр / drawing number, e.g. 12/34-АБ-АР1 or A-201
    sheet_number: str | None = None  # лист
    sheet_title: str | None = None  # наименование листа / sheet title
    stage: str | None = None  # стадия: П, Р, ...
    fields: dict[str, str] = field(default_factory=dict)  # by FIELD_LABELS key, else the printed label
    bbox: list[float] | None = None  # where the title block sits on the page

    def is_empty(self) -> bool:
        return not self.as_text()

    def as_text(self) -> str:
        """The fields as labelled lines, so that a question about a sheet's code or title finds them,
        under a heading that names the block itself: people ask what is "in the title block" or
        "по штампу" without naming the field. Empty when no field was read."""
        labelled = [
            ("Sheet code / Шифр", self.sheet_code), ("Sheet / Лист", self.sheet_number),
            ("Title / Наименование", self.sheet_title), ("Stage / Стадия", self.stage),
            *((FIELD_LABELS.get(key, key), value) for key, value in self.fields.items()),
        ]
        lines = [f"{label}: {value}" for label, value in labelled if value]
        return "\n".join([TITLE_BLOCK_HEADING, *lines]) if lines else ""


@dataclass(slots=True)
class ExtractedPage:
    number: int  # 1-based
    width_pt: float  # as displayed (after /Rotate); for images and text documents, pixels or 0
    height_pt: float
    rotation: int = 0
    has_text_layer: bool = True
    title_block: TitleBlock = field(default_factory=TitleBlock)
    blocks: list[ExtractedBlock] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class StoredCopy:
    """A PDF to store in place of the file given, because the file itself cannot be drawn later
    (encrypted: the password is not kept) or not quickly (a raster too large to decode per render).
    The document stays identified by the given file's SHA-256."""

    pdf: bytes
    reason: str  # said in the document's metadata (``stored_file``)


@dataclass(slots=True)
class ExtractedDocument:
    mime: str  # of the file given
    pages: list[ExtractedPage]
    status: str = "ready"  # "ready" or "image_only" (no text could be had)
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    stored_copy: StoredCopy | None = None  # made by the reader of the first share only


def document_status(pages: list[ExtractedPage]) -> str:
    """"ready" when any page gave text to search, else "image_only" (scans without OCR)."""
    return "ready" if any(page.blocks for page in pages) else "image_only"


def prepare_for_index(document: ExtractedDocument) -> None:
    """Make every block storable and searchable: clean text, rounded bbox, search terms, title blocks.

    Runs in the reader processes, so that this work is spread over the cores with the reading.
    """
    for page in document.pages:
        title = page.title_block.as_text()
        if title:
            page.blocks.insert(
                0, ExtractedBlock(f"p{page.number}-title", page.number, "title_block", title, page.title_block.bbox or list(FULL_PAGE))
            )
        page.blocks = [passage for block in page.blocks for passage in in_passages(block)]
        for block in page.blocks:
            block.bbox = [round(float(v), 5) for v in block.bbox]
            block.text = clean_text(block.text)
            terms = index_terms(block.text)
            block.terms, block.term_count = " ".join(terms), len(terms)


def in_passages(block: ExtractedBlock, line_boxes: Sequence[Sequence[float]] | None = None) -> list[ExtractedBlock]:
    """``block``, or when it is long its passages (``passages``), each a block: the first keeps the
    block's key, the next are ``KEY.2``, ``KEY.3``... Each is placed at its own lines when
    ``line_boxes`` (one bbox per line of the text) says where they are, else at the whole block."""
    parts = passages(block.text)
    if len(parts) == 1:
        return [block]
    cut = []
    for n, part in enumerate(parts, 1):
        first, last = part.lines
        boxes = line_boxes[first:last + 1] if line_boxes else [block.bbox]
        bbox = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
        metadata = {**block.metadata, "passage": f"{n}/{len(parts)}"}
        cut.append(ExtractedBlock(passage_key(block.key, n), block.page, block.kind, part.text, bbox, metadata))
    return cut
