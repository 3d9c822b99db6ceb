"""What every extractor returns: a document as pages and text blocks, before anything is stored.

Extractors (PDF, raster/OCR, the earlier pipeline's Markdown/HTML/JSON) only read bytes and build
these records; ``ingest`` stores them in one transaction. Coordinates follow ARCHITECTURE.md: a bbox
is ``[x0, y0, x1, y1]`` normalized 0..1 to the page as a person sees it (after /Rotate), origin
top-left; page numbers are 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FULL_PAGE = [0.0, 0.0, 1.0, 1.0]


@dataclass
class ExtractedBlock:
    key: str  # the block id shown in hits and citations, unique within the document
    page: int  # 1-based
    kind: str  # "text", "annotation", "ocr", "table", "image" ...
    text: str
    bbox: list[float] = field(default_factory=lambda: list(FULL_PAGE))
    metadata: dict[str, Any] = field(default_factory=dict)


# ``TitleBlock.fields`` keys every extractor uses, with the label a person reads (and searches for).
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


@dataclass
class TitleBlock:
    """Fields of a sheet's title block (Russian «основная надпись» or an English title block)."""

    sheet_code: str | None = None  # шифр / drawing number, e.g. 133/23-ГК-АР1 or A-201
    sheet_number: str | None = None  # лист
    sheet_title: str | None = None  # наименование листа / sheet title
    stage: str | None = None  # стадия: П, Р, ...
    fields: dict[str, str] = field(default_factory=dict)  # by FIELD_LABELS key, else the printed label
    bbox: list[float] | None = None  # where the title block sits on the page

    def is_empty(self) -> bool:
        return not (self.sheet_code or self.sheet_number or self.sheet_title or self.stage or self.fields)


@dataclass
class ExtractedPage:
    number: int  # 1-based
    width_pt: float  # as displayed (after /Rotate); for images and text documents, pixels or 0
    height_pt: float
    rotation: int = 0
    has_text_layer: bool = True
    title_block: TitleBlock = field(default_factory=TitleBlock)
    blocks: list[ExtractedBlock] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractedDocument:
    mime: str
    pages: list[ExtractedPage]
    status: str = "ready"  # "ready" or "image_only" (no text could be had)
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
