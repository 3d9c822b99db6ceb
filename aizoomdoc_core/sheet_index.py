"""A set's drawing list checked against its sheets: what is listed but missing, present but not
listed, or titled or revised differently on the list and in the sheet's own title block.

A set usually lists its sheets: "DRAWING INDEX" / "SHEET INDEX" on the cover, «Ведомость рабочих
чертежей основного комплекта» on the general data sheet, «Содержание тома» in a volume. The list is
found by its heading (the first line of a block), and read from the lines under it: in a drawing's
text layer, the blocks below the heading in its column ("A-1 FLOOR PLAN", or the code on one line and
the title on the next); in an OCR'd table, its rows ("2 | План кровли | Изм.1", "Лист 3. План | 19").
The sheets are what the title blocks say (``ingest.title_block``): a code, else a sheet number.

Codes are matched as a reviewer reads them: "A-100", "A 100" and "A100" are one sheet, "A1.1" and
"A11" are not. A listed sheet no page holds is "missing" only when every page's title block was read;
otherwise it is "not found", since it may be one of the pages whose stamp could not be read. Nothing
is guessed: a list that cannot be read leaves the sheets "not checked".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import PageInfo, BlockRecord, _Record

HEADING = re.compile(
    r"^(?:(?:sheet|drawing)s?\s+(?:index|list)|(?:index|list)\s+of\s+(?:sheets|drawings)|table\s+of\s+contents"
    r"|ведомость\s+(?:рабочих\s+|основных\s+)?(?:чертежей|листов)|содержание\s+тома"
    r"|состав\s+(?:комплекта|проекта|проектной\s+документации))\b",
    re.IGNORECASE,
)
CODE = r"[A-ZА-ЯЁ]{1,4}[-–. ]?\d{1,4}(?:\.\d{1,3})*[A-ZА-Я]?"
_LINE = re.compile(rf"^(?P<code>{CODE})\s+(?P<title>\S.*)$")
_CODE_ONLY = re.compile(rf"^{CODE}$")
_LETTERS_ONLY = re.compile(r"^[A-ZА-ЯЁ]{1,3}$")  # a code without a number ("AC"), on its own line above its title
_NUMBER = re.compile(r"^(?:(?:лист|sheet)\s*)?(?P<number>\d{1,3})[.)]?(?:\s+(?P<title>\S.*))?$", re.IGNORECASE)
_HEADER = re.compile(r"^(?:№\s*)?(?:лист|листа|sheet|no\.?|обозначение|наименование|name|title)\s*$", re.IGNORECASE)
_WORDS = re.compile(r"[\W_]+", re.UNICODE)
COLUMN_SLACK = 0.03  # of the page's width: how far left of its heading a list's lines may start
LIST_GAP = 0.06  # of the page's height: a gap this tall after a listed line ends the list
CELL = " | "
HEADING_LINES = 3
STATUSES = ("listed", "title differs", "revision differs", "missing", "not found", "not listed", "not checked")
DISAGREEMENT = frozenset({"title differs", "revision differs", "missing", "not listed"})  # what a reviewer must look at
# A table's revision column, by its header ("REV", «Изм.»), and a revision as a cell prints it ("Изм.2", "REV B").
_REVISION_HEADER = re.compile(r"^(?:rev\.?|revision|изм\.?|№\s*изм\.?|изменение|ревизия|версия)$", re.IGNORECASE)
_REVISION = re.compile(r"^(?:изм\.?|rev\.?|revision)\s*(?P<id>[0-9A-ZА-Я]{1,3})$", re.IGNORECASE)


@dataclass(frozen=True)
class Listed:
    """One line of the drawing list: the sheet's code or number and the title it lists."""

    code: str
    title: str
    index_page: int
    revision: str | None = None  # what the list says the sheet's revision is, when it says


@dataclass(frozen=True)
class SheetRow(_Record):
    """One sheet of the checked list. ``status``: ``listed`` (listed, present, titles and revisions
    agree), ``title differs``, ``revision differs`` (the list's and the title block's), ``missing``,
    ``not found`` (listed; some stamps unread), ``not listed``, or ``not checked`` (the set has no
    list that could be read)."""

    code: str
    status: str
    listed_title: str | None = None
    sheet_title: str | None = None
    page: int | None = None
    revision: str | None = None  # the sheet's own, from its title block
    listed_revision: str | None = None  # the list's


@dataclass(frozen=True)
class SheetCheck(_Record):
    """A document's sheets against its drawing list (``index_pages`` empty: no list was found)."""

    document_id: str
    document_name: str
    index_pages: list[int] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)
    unread_pages: list[int] = field(default_factory=list)  # pages whose title block names no sheet

    def to_json(self) -> dict[str, Any]:
        """As ``sheets --json`` prints it: the record, and how many rows have each status."""
        return {**super().to_json(), "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        """How many rows have each status, for a one-line summary."""
        return dict(Counter(row.status for row in self.rows))


def check(document_id: str, document_name: str, pages: Sequence[PageInfo],
          blocks: Sequence[BlockRecord]) -> SheetCheck:
    """The drawing list of ``blocks`` (all of the document's) checked against ``pages``' title blocks."""
    listed = drawing_list(blocks)
    present: dict[str, PageInfo] = {}
    unread = []
    shared = _shared_codes(pages)
    for page in pages:
        key = page_key(page)
        if key is None:
            unread.append(page.number)
        elif key not in shared:  # a set's code on its text pages names the set, not a sheet
            present.setdefault(key, page)  # a sheet printed twice (two formats of a set) counts once
    if not listed:
        rows = [SheetRow(str(sheet_name(p)), "not checked", sheet_title=_title(p), page=p.number, revision=_revision(p))
                for p in present.values()]
        return SheetCheck(document_id, document_name, [], rows, unread)
    rows, seen = [], set()
    for entry in listed:
        key = sheet_key(entry.code)
        if key in seen:
            continue
        seen.add(key)
        held = present.get(key) or _titled(entry.title, [p for p in pages if p.number in unread])
        if held is None:
            rows.append(SheetRow(entry.code, "not found" if unread else "missing", listed_title=entry.title))
            continue
        own = _revision(held)
        status = ("title differs" if not _same_title(entry.title, _title(held))
                  else "revision differs" if not _same_revision(entry.revision, own) else "listed")
        rows.append(SheetRow(entry.code, status, entry.title, _title(held), held.number, own, entry.revision))
    rows += [SheetRow(str(sheet_name(p)), "not listed", sheet_title=_title(p), page=p.number, revision=_revision(p))
             for key, p in present.items() if key not in seen]
    index_pages = sorted({e.index_page for e in listed})
    return SheetCheck(document_id, document_name, index_pages, rows, unread)


def drawing_list(blocks: Sequence[BlockRecord]) -> list[Listed]:
    """Every line of every drawing list in ``blocks``, in the order listed."""
    by_page: dict[int, list[BlockRecord]] = {}
    for block in blocks:
        by_page.setdefault(block.page, []).append(block)
    found: list[Listed] = []
    for number in sorted(by_page):
        page = sorted(by_page[number], key=lambda b: (b.bbox[1], b.bbox[0]))
        for position, block in enumerate(page):
            lines = block.text.strip().splitlines()
            heading = _heading(lines)
            if heading is not None:
                found += _read_list(block, lines[heading + 1:], page[position + 1:])
    return found


def heads_a_list(text: str) -> bool:
    """Whether a block (its text) heads a drawing list."""
    return _heading(text.strip().splitlines()) is not None


def _heading(lines: list[str]) -> int | None:
    """The line of ``lines`` that heads a drawing list: one of the first few (an OCR'd page may
    put the sheet's number above it)."""
    return next((i for i, line in enumerate(lines[:HEADING_LINES]) if HEADING.match(line.strip(" :"))), None)


def _read_list(heading: BlockRecord, rest: list[str], below: list[BlockRecord]) -> list[Listed]:
    """The listed lines after ``heading``: the rest of its own block, then the blocks under it in
    its column until a gap or a block that lists nothing (a drawing's text layer: the notes or the
    design data that follow), or the one table after it (an OCR'd page, whose blocks each span the
    whole page, in reading order). A list keeps one form: after sheet codes, a line that starts
    with a bare number ("50 psf") is not a sheet."""
    entries = _entries(rest, heading.page)
    whole_page = heading.bbox[3] - heading.bbox[1] > 0.9
    last_bottom = heading.bbox[3]
    for block in below:
        if not whole_page:
            in_column = heading.bbox[0] - COLUMN_SLACK <= block.bbox[0] <= heading.bbox[2]
            if not in_column:
                continue
            if entries and block.bbox[1] - last_bottom > LIST_GAP:
                break
        lines = block.text.strip().splitlines()
        if _heading(lines) is not None:
            break  # the next list reads itself
        if whole_page and entries:
            break  # an OCR'd list is one table: what follows it is the sheet's notes
        more = _entries(lines, block.page)
        if entries and not more:
            break
        entries += more
        last_bottom = block.bbox[3]
    return _one_form(entries)


def _one_form(entries: list[Listed]) -> list[Listed]:
    """The entries of the list's own form: codes with letters, or sheet numbers, whichever the
    list starts with."""
    if not entries:
        return entries
    numbered = entries[0].code.isdigit()
    return [e for e in entries if e.code.isdigit() == numbered]


def _entries(lines: list[str], page: int) -> list[Listed]:
    """The listed sheets of ``lines``: "CODE TITLE", a code alone with its title on the next line,
    or a table row whose first cell is the code or the sheet's number."""
    found: list[Listed] = []
    waiting: str | None = None  # a code alone on its line, whose title is the next line
    column: int | None = None  # the table's revision column, when its header names one
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        cells = [c.strip() for c in line.split(CELL.strip())] if CELL.strip() in line else [line]
        if _HEADER.match(cells[0]) and len(cells) > 1:  # the table's header row
            column = next((i for i, cell in enumerate(cells) if _REVISION_HEADER.match(cell)), None)
            continue
        entry = _entry(cells)
        if entry is not None:
            waiting = None
            found.append(Listed(entry[0], entry[1], page, _listed_revision(cells, column)))
        elif waiting is not None:
            found.append(Listed(waiting, line, page))
            waiting = None
        elif _CODE_ONLY.match(line) or _LETTERS_ONLY.match(line):
            waiting = line
    return found


def _entry(cells: list[str]) -> tuple[str, str] | None:
    first, others = cells[0], [c for c in cells[1:] if c]
    if len(cells) > 1 and (_CODE_ONLY.match(first) or first.isdigit()) and others:
        return first, others[0]
    match = _LINE.match(first) or _NUMBER.match(first)
    if match and match.groupdict().get("title"):
        return match.group("code" if "code" in match.groupdict() else "number"), match.group("title").strip()
    return None


def sheet_key(code: str) -> str:
    """A code as matched: capitals, no spaces or hyphens ("A-100" is "A100"), dots kept."""
    return re.sub(r"[\s\-–]", "", code).upper()


def page_key(page: PageInfo) -> str | None:
    """The key a listed line names this page by: its own sheet number where the set's code is
    shared by every sheet (a Russian set: «12/34-ГК-АР», sheet 3), else its sheet code."""
    number = page.title_block.get("sheet_number")
    code = page.sheet_code
    if code and _CODE_ONLY.match(code.strip()):
        return sheet_key(code)
    if number:
        return sheet_key(str(number))
    return sheet_key(code) if code else None


def _titled(title: str, unread: Sequence[PageInfo]) -> PageInfo | None:
    """The page whose stamp gave no code but the listed title (a sheet coded "AC", which no code
    pattern reads), if exactly one has it."""
    same = [p for p in unread if _title(p) and _same_title(title, _title(p))]
    return same[0] if len(same) == 1 else None


def _shared_codes(pages: Sequence[PageInfo]) -> set[str]:
    """Keys of pages that name no sheet of their own: a code printed on several pages without a
    sheet number (the set's code on the pages of its explanatory note)."""
    seen: dict[str, int] = {}
    for page in pages:
        key = page_key(page)
        if key is not None and not page.title_block.get("sheet_number"):
            seen[key] = seen.get(key, 0) + 1
    return {key for key, count in seen.items() if count > 1}


def sheet_name(page: PageInfo) -> str | None:
    """A sheet as a reviewer names it, by what ``page_key`` matches it by: its code, else its
    number in a set whose sheets share one code; None when its stamp names neither."""
    if page_key(page) is None:
        return None
    if page.sheet_code and _CODE_ONLY.match(page.sheet_code.strip()):
        return page.sheet_code
    return str(page.title_block.get("sheet_number") or page.sheet_code)


def _title(page: PageInfo) -> str | None:
    return page.title_block.get("sheet_title") or page.sheet_title or None


def _revision(page: PageInfo) -> str | None:
    fields = page.title_block.get("fields", {})
    value = fields.get("revision") if isinstance(fields, dict) else None
    return str(value) if value else None


def _listed_revision(cells: list[str], column: int | None) -> str | None:
    """A row's revision: the cell under its table's revision column, else a cell after the title
    that reads as one ("Изм.2", "REV B")."""
    if column is not None and 1 < column < len(cells) and cells[column]:
        return cells[column]
    return next((cell for cell in cells[2:] if _REVISION.match(cell)), None)


def _same_revision(listed: str | None, own: str | None) -> bool:
    """Whether the list and the sheet name one revision ("Изм.2" is "2", "REV B" is "B"); a side
    that names none disagrees with nothing."""
    if not listed or not own:
        return True
    ids = [(m["id"] if (m := _REVISION.match(r.strip())) else r.strip()).casefold() for r in (listed, own)]
    return ids[0] == ids[1]


def _same_title(listed: str, own: str | None) -> bool:
    """Whether two titles say the same, case, punctuation and spacing aside. A Russian sheet's
    title block often puts the set's title first («Жилой дом. Общие данные» for «Общие данные»):
    one title ending the other after a full stop counts as the same, "EXTERIOR ELEVATIONS" for
    "ELEVATIONS" does not."""
    if own is None:
        return True  # nothing to disagree with
    a, b = (" ".join(_WORDS.sub(" ", t.casefold()).split()) for t in (listed, own))
    if a == b:
        return True
    short, long = sorted((listed.casefold().strip(" ."), own.casefold().strip(" .")), key=len)
    return bool(short) and long.endswith(short) and long[: -len(short)].rstrip().endswith((".", ":"))
