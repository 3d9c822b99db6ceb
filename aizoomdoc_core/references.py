"""Callouts and references between sheets: where a sheet points at another sheet, a detail on a
sheet, another document of the set or a standard, and where that target is, when the library has it.

Drawings point at each other in a few fixed forms. A callout "2/A-2", "DET. 3/A-5", "SIM. 3/S-2"
(detail 2 on sheet A-2), also drawn as a bubble whose number sits above the sheet code (two text
blocks, as Revit exports them); "SEE SHEET E-1", "NOTED ON SHEETS A-4 & A-5"; in a Russian set
«см. лист 5», «см.л.2-4», «узел 3, лист АР-12», a document «см. раздел 133/23-ГК-ГП3», a standard
«по ГОСТ 21.101-2020». Each is read from a page's text blocks, line by line, with the line's share
of its block as its bbox (the words' own boxes are not stored).

Resolving is where guessing would do harm, so nothing is guessed. A sheet code is matched as the
sheet index matches it ("A-100" is "A100", ``sheet_index.sheet_key``), against the title blocks of
the same document; a Russian «лист 5» is the sheet its title block numbers 5 (never page 5: one-
and two-digit numbers are everywhere on a sheet). A detail is located on its sheet only when
exactly one label there carries its number as a detail's title does (the number by a title, a
title bubble, "WAINSCOT DETAIL / 4", «Узел 3»); otherwise the reference opens the sheet and says the
detail was not located. A document is found by the code its title blocks print; a code several
documents print, or none, stays unresolved, with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .ingest.passages import block_of
from .models import BBox, BlockRecord, PageInfo, _Record
from .sheet_index import sheet_key

KINDS = ("detail", "sheet", "document", "standard")
STATUSES = ("detail", "sheet", "detail not located", "document", "unresolved")  # a Reference's
RESOLVED = frozenset({"detail", "sheet", "detail not located", "document"})  # what opens a target

SHEET = r"(?:[A-Z]{1,3}[-.]?\d{1,4}(?:\.\d{1,3})*[A-Z]?|[А-ЯЁ]{1,4}-?\d{1,4}(?:\.\d{1,3})*)"
DETAIL = r"[1-9]\d{0,2}[A-Z]?"
NUMBERS = r"\d{1,3}(?:\s*[-–,]\s*\d{1,3})*"
DOCUMENT = r"\d{1,4}[/-]\d{2}-[А-ЯЁA-Z]{1,5}(?:[-.][А-ЯЁA-Z]{1,5})*\d*(?:\.\d{1,2})?"
_END = r"(?![\w/])"
_START = r"(?<![\w/.\-])"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("detail", re.compile(rf"{_START}(?:(?:SEE|SIM\.?(?:\s+TO)?|REFER\s+TO)\s+)?(?:(?:DET(?:AIL)?|SECT(?:ION)?)\.?\s*)?"
                          rf"(?P<detail>{DETAIL})\s*/\s*(?P<sheet>{SHEET}){_END}")),
    ("detail", re.compile(rf"{_START}(?:DET(?:AIL)?|SECT(?:ION)?)\.?\s*(?P<detail>{DETAIL}),?\s+(?:ON\s+)?"
                          rf"(?:SHEET|SHT\.?|DWG\.?)\s*(?P<sheet>{SHEET}){_END}")),
    ("detail", re.compile(rf"(?:см\.?\s*)?узел\s*(?P<detail>\d{{1,3}}),?\s*(?:см\.?\s*)?(?:на\s+)?(?:листе?|л\.)\s*"
                          rf"(?P<sheet>{SHEET}|\d{{1,3}}){_END}", re.IGNORECASE)),
    ("sheet", re.compile(rf"\b(?:SHEETS?|SHTS?\.?|DWGS?\.?)\s+(?P<sheets>{SHEET}(?:\s*(?:,|&|AND|\+)\s*{SHEET})*){_END}")),
    ("sheet", re.compile(rf"\b(?:SEE|REFER\s+TO)\s+(?P<sheets>{SHEET}){_END}")),
    ("sheet", re.compile(rf"см\.?\s*(?:на\s+)?(?:лист(?:ы|ах|е)?|л\.)\s*(?P<sheets>{SHEET}(?=[\s,.;)]|$)|{NUMBERS}){_END}",
                         re.IGNORECASE)),
    ("document", re.compile(rf"(?:см\.?|по|совместно\s+с)\s*(?:раздел[а-я]*\s+|альбом[а-я]*\s+|том[а-я]*\s+|документ[а-я]*\s+)?"
                            rf"(?P<document>{DOCUMENT}){_END}", re.IGNORECASE)),
    ("standard", re.compile(r"\b(?P<standard>(?:ГОСТ(?:\s*Р)?|СП|СНиП|ISO)\s*\d{1,6}(?:\.\d{1,4})*(?:[-–]\d{2,4})?)(?!\w|\.\d)")),
)
_DETAIL_ALONE = re.compile(rf"^(?:{DETAIL}|[A-Z]{{1,2}})$")  # a callout bubble's upper half
_SHEET_ALONE = re.compile(rf"^{SHEET}$")  # ...and its lower half
_TITLE_WORDS = re.compile(r"\b(?:DETAIL|SECTION|ELEVATION|PLAN|VIEW|SCALE|узел|разрез|сечение|фрагмент|вид)\b",
                          re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]")
MAX_RANGE = 10  # sheets a Russian «л.2-4» may span before it is taken as one unread reference
BUBBLE_GAP = 0.012  # of the page's height: how far a callout's sheet code may sit under its number
TITLE_GAP = 0.03  # of the page's width: how far right of a detail's number its title may start
LEAD_LINES = 2  # a table passage opens with at most its title and header row
WHOLE_BLOCK = 0.9  # an OCR'd block spanning this much of the page has no line boxes to tell


@dataclass(frozen=True)
class Target(_Record):
    """Where a reference leads: a document, and its page and region when they are known."""

    document_id: str
    document_name: str
    page: int | None = None
    sheet: str | None = None  # the target sheet's code (or its number, in a Russian set)
    region: BBox | None = None  # the detail's label and title, when located


@dataclass(frozen=True)
class Reference(_Record):
    """One reference of a page. ``status``: ``detail`` (the detail located on its sheet),
    ``sheet``, ``detail not located`` (its sheet opened instead), ``document``, or ``unresolved``
    (``reason`` says why; nothing was guessed)."""

    kind: str  # KINDS
    text: str  # the words that point, as printed
    page: int
    bbox: BBox
    block_id: str
    code: str  # the sheet code, sheet number, document or standard it names
    status: str
    detail: str | None = None
    reason: str | None = None
    target: Target | None = None

    def described(self, *, here: str | None = None) -> str:
        """On one line, as the model reads it beside the page and the CLI prints it: "2/A-2 -> page 5,
        sheet A-2, region [...]". ``here`` is the document it is printed in: a target in another
        document is named."""
        target = self.target
        if target is None:
            return f"{self.text} -> unresolved: {self.reason}"
        where = [] if target.document_id == here else [f"document {target.document_name} ({target.document_id})"]
        where += [f"page {target.page}"] if target.page is not None else []
        where += [f"sheet {target.sheet}"] if target.sheet else []
        if target.region:
            where.append("region [" + ", ".join(f"{v:.3f}" for v in target.region) + "]")
        note = f" (detail {self.detail} not located: {self.reason})" if self.status == "detail not located" else ""
        return f"{self.text} -> {', '.join(where)}{note}"


@dataclass(frozen=True)
class Found:
    """A reference as read, before it is resolved."""

    kind: str
    text: str
    page: int
    bbox: BBox
    block_id: str
    code: str
    detail: str | None = None
    cued: bool = True  # said in words ("SEE", «см.»), not a bare callout


@dataclass(frozen=True)
class Coded:
    """A document of the library and the codes its title blocks print (what a reference names it by)."""

    document_id: str
    name: str
    codes: frozenset[str]  # sheet_key of each


@dataclass
class References(_Record):
    """A document's (or one page's) references, resolved."""

    document_id: str
    document_name: str
    page: int | None
    references: list[Reference] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As ``references --json`` prints it: the record, and how many references have each status."""
        return {**super().to_json(), "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        return dict(Counter(reference.status for reference in self.references))


# -- finding ------------------------------------------------------------------------------------


def find(blocks: Sequence[BlockRecord], sheets: Sheets) -> list[Found]:
    """The references printed in ``blocks`` (one page's or several of ``sheets``' document), top to
    bottom. A title block names its own sheet and document: it points nowhere. A callout without
    words ("2/A-2", a bubble) counts only when it names a sheet of the set: on a schematic "1/H2"
    and "24V/XT5" are terminals, and a callout to a sheet outside the set says so in words."""
    by_page: dict[int, list[BlockRecord]] = {}
    for block in sorted(blocks, key=lambda b: (b.page, b.bbox[1], b.bbox[0])):
        if block.kind != "title_block":
            by_page.setdefault(block.page, []).append(block)
    found: list[Found] = []
    for page in by_page.values():
        read: set[tuple[str, str]] = set()  # the lines of the block a passage was cut from, so far
        for block in page:
            lines = block.text.splitlines()
            origin = block_of(block.block_key)
            lead = block.block_key != origin  # a passage opens with its table's title and header, read before
            for number, line in enumerate(lines):
                lead = lead and number < LEAD_LINES and (origin, line) in read
                read.add((origin, line))
                if not lead:
                    found += _in_line(block, line, _line_box(block, number, len(lines)))
        found += _bubbles(page)
    kept = [f for f in found if f.cued or sheets.named(f.code)[0]]
    return sorted(kept, key=lambda f: (f.page, f.bbox[1], f.bbox[0]))


def points_at_sheets(text: str) -> bool:
    """Whether ``text`` prints a reference to a sheet or a detail in a form ``find`` reads: what is
    worth resolving a page's references for."""
    return any(pattern.search(text) for kind, pattern in _PATTERNS if kind in ("detail", "sheet"))


def _in_line(block: BlockRecord, line: str, box: BBox) -> list[Found]:
    """The references of one line, each span read once: the first pattern that reads it wins."""
    taken: list[tuple[int, int]] = []
    found: list[Found] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(line):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())
            text = match.group(0).strip()
            groups = match.groupdict()
            if kind == "detail":
                cued = not text.startswith(groups["detail"])
                found.append(Found(kind, text, block.page, box, block.block_key, groups["sheet"], groups["detail"], cued))
            elif kind == "sheet":
                found += [Found(kind, text, block.page, box, block.block_key, code) for code in _sheets(groups["sheets"])]
            else:
                found.append(Found(kind, text, block.page, box, block.block_key, " ".join(groups[kind].split())))
    return found


def _sheets(listed: str) -> list[str]:
    """The sheets of "A-4 & A-5 AND S-1" or «2-4» (2, 3 and 4) or «2, 5»."""
    found: list[str] = []
    for part in re.split(r"\s*(?:,|&|\+|\bAND\b)\s*", listed):
        span = re.fullmatch(r"(\d{1,3})\s*[-–]\s*(\d{1,3})", part)
        if span and 0 < int(span[2]) - int(span[1]) < MAX_RANGE:
            found += [str(n) for n in range(int(span[1]), int(span[2]) + 1)]
        elif part:
            found.append(part)
    return found


def _bubbles(blocks: Sequence[BlockRecord]) -> list[Found]:
    """Callout bubbles of one page drawn as two blocks: the detail's number, the sheet's code right
    under it. A bubble with a title beside it is the detail's own title, not a reference."""
    found = []
    for upper in blocks:
        if not _DETAIL_ALONE.match(upper.text.strip()):
            continue
        lower = next((b for b in blocks if _under(upper, b)), None)
        if lower is None or _title_beside(upper, blocks):
            continue
        code = lower.text.strip().splitlines()[0].strip()
        box = [min(upper.bbox[0], lower.bbox[0]), upper.bbox[1], max(upper.bbox[2], lower.bbox[2]), lower.bbox[3]]
        found.append(Found("detail", f"{upper.text.strip()}/{code}", upper.page, box, upper.block_key, code,
                           upper.text.strip(), cued=False))
    return found


def _under(upper: BlockRecord, lower: BlockRecord) -> bool:
    """Whether ``lower`` is a sheet code right under ``upper``, centred on it."""
    first = lower.text.strip().splitlines()[0].strip() if lower.text.strip() else ""
    if lower is upper or not _SHEET_ALONE.match(first):
        return False
    centre = (upper.bbox[0] + upper.bbox[2]) / 2
    return lower.bbox[0] <= centre <= lower.bbox[2] and 0 <= lower.bbox[1] - upper.bbox[3] <= BUBBLE_GAP


def _title_beside(label: BlockRecord, blocks: Sequence[BlockRecord]) -> BlockRecord | None:
    """The block of ``label``'s page just right of it on its line that reads as a title (a few
    letters, not a code)."""
    for block in blocks:
        text = block.text.strip()
        if block is label or _SHEET_ALONE.match(text):
            continue
        beside = 0 <= block.bbox[0] - label.bbox[2] <= TITLE_GAP
        same_line = block.bbox[1] < label.bbox[3] and block.bbox[3] > label.bbox[1]
        if beside and same_line and len(_LETTERS.findall(text)) >= 4:
            return block
    return None


def _line_box(block: BlockRecord, number: int, count: int) -> BBox:
    """The share of ``block`` its line ``number`` of ``count`` takes (lines are of a height in a
    drawing's text block); an OCR'd block spanning the page keeps its box, which tells nothing."""
    x0, y0, x1, y1 = block.bbox
    if count <= 1 or y1 - y0 > WHOLE_BLOCK:
        return list(block.bbox)
    step = (y1 - y0) / count
    return [x0, y0 + number * step, x1, y0 + (number + 1) * step]


# -- resolving ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheets:
    """A document's sheets as references name them: by code, and by the number their title block
    gives them (a Russian set's sheets share its code and differ by number)."""

    document_id: str
    document_name: str
    by_code: dict[str, list[PageInfo]]
    by_number: dict[str, list[PageInfo]]

    @classmethod
    def of(cls, document_id: str, document_name: str, pages: Sequence[PageInfo]) -> Sheets:
        by_code: dict[str, list[PageInfo]] = {}
        by_number: dict[str, list[PageInfo]] = {}
        for page in pages:
            if page.sheet_code:
                by_code.setdefault(sheet_key(page.sheet_code), []).append(page)
            number = page.title_block.get("sheet_number")
            if number:
                by_number.setdefault(str(number).strip(), []).append(page)
        return cls(document_id, document_name, by_code, by_number)

    def named(self, code: str) -> tuple[list[PageInfo], str]:
        """The pages a sheet reference names, and why none or several would be named."""
        if code.isdigit():
            if not self.by_number:
                return [], "no title block of this document numbers its sheets"
            return self.by_number.get(str(int(code)), []), f"no sheet numbered {code} in this document"
        return self.by_code.get(sheet_key(code), []), f"no sheet {code} in this document"


def resolve(found: Sequence[Found], sheets: Sheets, blocks_of: Callable[[int], Sequence[BlockRecord]],
            library: Sequence[Coded]) -> list[Reference]:
    """Each found reference with its target: a sheet and detail of this document (``blocks_of``
    gives a page's blocks, read only for the pages a detail is looked for on), or a document of
    ``library``."""
    return [_resolved(f, sheets, blocks_of, library) for f in found]


def _resolved(found: Found, sheets: Sheets, blocks_of: Callable[[int], Sequence[BlockRecord]],
              library: Sequence[Coded]) -> Reference:
    def reference(status: str, reason: str | None = None, target: Target | None = None) -> Reference:
        return Reference(found.kind, found.text, found.page, found.bbox, found.block_id, found.code, status,
                         found.detail, reason, target)

    if found.kind in ("document", "standard"):
        key = sheet_key(found.code)
        held = [d for d in library if key in d.codes]
        if len(held) != 1:
            missing = "standard not in the library" if found.kind == "standard" else "document not in the library"
            return reference("unresolved",
                             missing if not held else f"{len(held)} documents carry this code")
        return reference("document", target=Target(held[0].document_id, held[0].name))
    pages, missing = sheets.named(found.code)
    if len(pages) != 1:
        reason = missing if not pages else f"{len(pages)} pages carry this sheet"
        return reference("unresolved", reason=reason)
    page = pages[0]
    sheet = page.sheet_code if not found.code.isdigit() else found.code
    if found.detail is None:
        return reference("sheet", target=Target(sheets.document_id, sheets.document_name, page.number, sheet))
    labels = detail_labels(blocks_of(page.number), found.detail)
    if len(labels) != 1:
        reason = f"no label {found.detail} on that sheet" if not labels else f"{len(labels)} labels {found.detail} on that sheet"
        return reference("detail not located", reason=reason,
                         target=Target(sheets.document_id, sheets.document_name, page.number, sheet))
    return reference("detail",
                     target=Target(sheets.document_id, sheets.document_name, page.number, sheet, labels[0]))


def detail_labels(blocks: Sequence[BlockRecord], detail: str) -> list[BBox]:
    """Where on a sheet the title of detail ``detail`` is: each block or line that labels it as a
    detail's title does, with its title (the region shown). A bare number by no title (a grid
    bubble, a dimension, a callout to elsewhere) labels nothing."""
    wanted = detail.strip().casefold()
    found: list[BBox] = []
    for block in blocks:
        if block.kind == "title_block":
            continue
        lines = [line.strip() for line in block.text.strip().splitlines()]
        if len(lines) == 1 and lines[0].casefold() == wanted:
            title = _title_beside(block, blocks)
            if title is not None:
                found.append(_union(block.bbox, title.bbox))
        elif _stacked_title(lines, wanted):
            found.append(list(block.bbox))
        else:
            found += [_line_box(block, n, len(lines)) for n, line in enumerate(lines) if _title_line(line, wanted)]
    return found


def _stacked_title(lines: list[str], wanted: str) -> bool:
    """A block that is a detail's title in a few lines: "SCALE: 1" = 1'-0" / WAINSCOT DETAIL / 4"."""
    folded = [line.casefold() for line in lines]
    return 1 < len(lines) <= 4 and wanted in folded and any(_TITLE_WORDS.search(line) for line in lines)


def _title_line(line: str, wanted: str) -> bool:
    """A line that titles a detail: "2 WALL SECTION", "DETAIL 3", «Узел 3 (1:10)»."""
    first = line.casefold()
    number_first = re.match(rf"^{re.escape(wanted)}\s+\D", first) is not None and bool(_TITLE_WORDS.search(first))
    word_first = re.match(rf"^(?:detail|section|узел|разрез|сечение)\s*{re.escape(wanted)}(?!\w)", first) is not None
    return number_first or word_first


def _union(a: Sequence[float], b: Sequence[float]) -> BBox:
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


@dataclass(frozen=True)
class Referenced:
    """A detail located on a page, and how many other sheets point at it: the place to look for
    what several plans leave to it."""

    page: int
    region: BBox
    sheets: int  # distinct pages whose callouts lead to it
    callouts: frozenset[tuple[int, str]]  # the blocks that point at it: (page, block key)


def referenced_details(references: Sequence[Reference]) -> list[Referenced]:
    """The details ``references`` locate, each with the pages and blocks that point at it."""
    pointing: dict[tuple[int, tuple[float, ...]], set[tuple[int, str]]] = {}
    for reference in references:
        target = reference.target
        if reference.status == "detail" and target is not None and target.page is not None and target.region:
            pointing.setdefault((target.page, tuple(target.region)), set()).add((reference.page, reference.block_id))
    return [Referenced(page, list(region), len({p for p, _ in callouts}), frozenset(callouts))
            for (page, region), callouts in pointing.items()]
