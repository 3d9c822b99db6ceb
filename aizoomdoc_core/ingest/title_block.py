"""Reading a sheet's title block (Russian «основная надпись» / «штамп», English title block) into fields.

Only the page's words are used (``geometry.page_words``), so the same reader serves a PDF text layer
and OCR words. Cell borders are not available, so cells are inferred from the words themselves:

* Words closer than about half a letter height form a *segment* (a cell's line of text). A label
  («Лист», «Разраб.», «SHEET NO.», «DRAWN BY:», «比例» ...) counts only at the start of a segment, so
  «DO NOT SCALE» or «24x36 SHEET = SCALE AS NOTED» are not labels.
* The title block is the cluster of labels nearest the bottom-right corner; labels elsewhere on the
  sheet (a view's «Scale:», a revision table) are left alone.
* A label's value is the rest of its own segment («Лист 1»), the segment just right of it, or the
  line(s) just under it, and it is kept only if it looks like what the label announces (a scale, a
  date, a sheet number, a code...). Anything that does not fit is dropped: a field stays None rather
  than hold a wrong guess.
* A GOST stamp's unlabelled cells (обозначение, наименование, organisation, material; for ГОСТ Р 21.101
  also the object and building names) are located from the «Изм. Лист № докум. Подп. Дата» header row
  and the right-hand labels (Лит./Стадия, Масса, Масштаб, Лист, Листов), as ГОСТ 2.104 and ГОСТ Р 21.101
  lay them out. An English block's unlabelled sheet number («T-1» in the corner) is its tallest code.
* A title block printed turned by 90° (a vertical strip, as some schematic tools print it) is read after
  turning its words upright; the reading with the most labels wins.

``TitleBlock.fields`` keys: drawn_by, checked_by, tech_control, norm_control, approved_by,
chief_engineer, chief_architect, head_of_department, chief_specialist, scale, mass, format, date,
start_date, sheets_total, project, building, client, address, job_number, revision, material,
quantity, organization, drawing_name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from statistics import median
from typing import NamedTuple, TypeVar

from aizoomdoc_core.ingest.extracted import TitleBlock
from aizoomdoc_core.ingest.geometry import Word

# Distances are in units of the text height of the word concerned, which keeps them independent
# of the page size and of the drawing's lettering size.
_ROW_TOLERANCE = 0.35  # words whose vertical centres differ by less share a row
_WORD_GAP = 0.6  # a wider gap between two words ends a segment (cell borders leave wide gaps)
_RIGHT_REACH = 4.0  # how far right of its label a value may start
_BELOW_REACH = 3.0  # how far below its label a value may start
_LINE_GAP = 0.8  # between the lines of one multi-line value
_MAX_VALUE_LINES = 4
_ADJACENT = 2.5  # labels this close are in neighbouring cells of one block, whatever they say
_NEAR_REACH = 8.0  # how far a single English word («SCALE:») may be from the block's other labels
_CLUSTER_GAP = 0.15  # page fraction: labels closer than this belong to the same title block
_BAND_GAP = 0.4  # the same, for labels sharing a row or a column band
_LOCAL_MARGIN = 0.1  # page fraction around the labels where values and stamp cells are looked for

_CYR = "А-ЯЁ"
_RU_PROJECT_CODE = rf"\d{{1,4}}(?:/\d{{1,4}})?-[{_CYR}A-Z][{_CYR}A-Z0-9]*(?:[-.][{_CYR}A-Z0-9]+)*"
_ESKD_CODE = rf"[{_CYR}A-Z]{{2,6}}\d?(?:\.\d{{2,6}}){{2,4}}(?:-\d{{2,3}})?[{_CYR}A-Z]{{0,3}}\d{{0,2}}"
_SHEET_CODE = r"[A-Z]{1,3}-?\d{1,4}(?:[.-]\d{1,3}){0,2}[A-Z]?"
_ANY_CODE = rf"(?=[\w./ -]*\d)(?=[\w./ -]*[^\W\d_])[{_CYR}A-Z0-9][\w./-]*(?: [\w./-]+){{0,2}}"

_STAMP_CODE = re.compile(f"{_RU_PROJECT_CODE}|{_ESKD_CODE}|{_SHEET_CODE}")
_CORNER_CODE = re.compile(_SHEET_CODE)
_CODE = re.compile(rf"(?P<sheet_code>{_ANY_CODE})(?:\s+[–-]\s+(?P<drawing_name>.+))?")
_SHEET_REF = re.compile(rf"(?P<sheet_number>\d{{1,4}})|(?P<sheet_code>{_ANY_CODE})")
_SHEET_NO = re.compile(r"\d{1,4}(?:\.\d{1,3})?[а-яa-z]?")
_PAGE_OF = re.compile(r"(?P<sheet_number>\d{1,4})\s*/\s*(?P<sheets_total>\d{1,4})")
_INT = re.compile(r"\d{1,6}")
_STAGE = re.compile(r"РД|ПД|РП|ЭП|ТЭО|П|Р|И|Э|Т|О\d?|А|Б")
_SCALE = re.compile(
    r"(?:[МM]\s?)?\d+(?:[.,]\d+)?\s?:\s?\d+(?:[.,']\d+)*"
    r"|\d+(?:/\d+)?\s?[\"']?\s?=\s?\d+(?:/\d+)?\s?[\"']?(?:\s?-\s?\d+\s?\"?)?"
    r"|(?i:as noted|as shown|n\.?t\.?s\.?|none)"
)
_DATE = re.compile(
    r"\d{1,2}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}"
    r"|(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s\d{4})"
)
_FORMAT = re.compile(r"[AАaа]\d(?:\s?[xх×]\s?\d)?")
_MASS = re.compile(r"\d+(?:[.,]\d+)?\s?(?:кг|kg)?")
_JOB = re.compile(r"(?=.*\d)[A-Za-z0-9][\w./-]{0,23}")
_REVISION = re.compile(r"(?=.)[A-Z]{0,2}\d{0,3}(?:\.\d{1,3})?")
_NAME = re.compile(r"(?=.{2,40}$)[^\W\d_][^\W\d_']*\.?(?:\s*[/-]?\s*[^\W\d_][^\W\d_']*\.?){0,4}")
_TEXT = re.compile(r"(?=.*[^\W\d_]).{2,200}")
_MATERIAL = re.compile(r"(?=.*\w).{2,120}")  # a grade may be a bare number (6061)

# Whole segments that state the sheet's place in the set without a separate label («No.6 Page»).
_SHEET_PHRASES = (
    re.compile(r"(?i)(?:sheet|page)\s+(?P<sheet_number>\d{1,4})\s+of\s+(?P<sheets_total>\d{1,4})"),
    re.compile(r"(?i)no\.?\s?(?P<sheet_number>\d{1,4})\s+page"),
    re.compile(r"(?i)total\s+(?P<sheets_total>\d{1,4})\s+pages?"),
)

_PHRASE_START = re.compile(r"(?i)sheet|page|no|total")  # a quick test before the phrases above

_CORE = ("sheet_code", "sheet_number", "sheet_title", "stage")


@dataclass(frozen=True)
class _Spec:
    """What a label announces and where its value may be."""

    key: str  # TitleBlock attribute or fields key; "" for a column header that has nothing to read
    value: re.Pattern[str] | None = None  # what the value must look like; named groups redirect it
    inline: bool = False  # the value may follow in the label's own segment («Разраб. Иванов»)
    below: bool = True  # the value may sit under the label, not only to its right
    multiline: bool = False  # the value may run over several lines (titles, names of objects)


_HEADER = _Spec("", inline=True)  # a column header; header rows are packed («Изм. Лист»)
_RU_ROLE = {"inline": True, "below": False}  # a signature row: the surname is right, the next row below

# Label spellings are squashed: lower case, letters and digits only («Н. контр.» -> «нконтр»).
# Earlier entries win when two labels announce the same field (SHEET TITLE over TITLE).
_SPECS: tuple[tuple[_Spec, tuple[str, ...]], ...] = (
    (_Spec("sheet_code", _CODE), ("drawingno", "drawingnumber", "dwgno", "dwgnumber", "drawing", "图号")),
    (_Spec("sheet_code", _CODE), ("обозначение", "шифр")),
    (_Spec("", _SHEET_REF), ("sheetno", "sheetnumber", "sheet")),
    (_Spec("sheet_number", _SHEET_NO, inline=True), ("лист",)),
    (_Spec("sheets_total", _SHEET_NO, inline=True), ("листов", "sheets", "totalsheets")),
    (_Spec("", _PAGE_OF, inline=True), ("页码",)),
    (_Spec("sheet_title", _TEXT, multiline=True), ("sheettitle", "drawingtitle")),
    (_Spec("sheet_title", _TEXT, multiline=True), ("title", "name", "名称")),
    (_Spec("stage", _STAGE, inline=True), ("стадия", "лит", "stage")),
    (_Spec("scale", _SCALE, inline=True), ("масштаб", "scale", "ratio", "比例")),
    (_Spec("mass", _MASS, inline=True), ("масса", "mass", "weight", "weightkg")),
    (_Spec("format", _FORMAT, inline=True, below=False), ("формат",)),
    (_Spec("date", _DATE), ("date", "currentdate", "dat")),
    (_Spec("start_date", _DATE), ("startdate",)),
    (_Spec("project", _TEXT, multiline=True), ("project", "projectname", "projecttitle", "projectnameandlocation")),
    (_Spec("client", _TEXT, multiline=True), ("client", "owner", "projectowner")),
    (_Spec("address", _TEXT, multiline=True), ("address", "projectaddress")),
    (_Spec("job_number", _JOB), ("jobno", "jobnumber", "projectno", "projectnumber")),
    (_Spec("revision", _REVISION), ("rev", "revision", "version", "版本")),
    (_Spec("material", _MATERIAL), ("material", "材料")),
    (_Spec("quantity", _INT), ("qty", "quantity", "数量")),
    (_Spec("drawn_by", _NAME, **_RU_ROLE), ("разраб", "разработал")),
    (_Spec("checked_by", _NAME, **_RU_ROLE), ("пров", "проверил")),
    (_Spec("tech_control", _NAME, **_RU_ROLE), ("тконтр",)),
    (_Spec("norm_control", _NAME, **_RU_ROLE), ("нконтр",)),
    (_Spec("approved_by", _NAME, **_RU_ROLE), ("утв", "утвердил")),
    (_Spec("chief_engineer", _NAME, **_RU_ROLE), ("гип",)),
    (_Spec("chief_architect", _NAME, **_RU_ROLE), ("гап",)),
    (_Spec("head_of_department", _NAME, **_RU_ROLE), ("начотд",)),
    (_Spec("chief_specialist", _NAME, **_RU_ROLE), ("глспец",)),
    (_Spec("drawn_by", _NAME), ("drawnby", "drawn", "designedby", "design", "设计")),
    (_Spec("checked_by", _NAME), ("checkedby", "checked", "check", "校对")),
    (_Spec("approved_by", _NAME), ("approvedby", "approved", "审定")),
    (
        _HEADER,
        (
            "изм", "колуч", "докум", "док", "nдок", "nдокум", "подп", "дата", "копировал",
            "change", "signature", "originaldrawingrefno",
            "标记处数", "标记", "处数", "更改文件号", "签字", "日期", "审核", "工艺", "标准化", "图纸标记", "单位",
        ),
    ),
)  # fmt: skip

_VOCABULARY: dict[str, tuple[int, _Spec]] = {
    spelling: (order, spec) for order, (spec, spellings) in enumerate(_SPECS) for spelling in spellings
}
_PREFIXES = {spelling[:i] for spelling in _VOCABULARY for i in range(1, len(spelling) + 1)}
_LABEL_WORDS = 4  # the longest label («PROJECT NAME AND LOCATION:», «Original drawing ref. No.»)
_MIN_TURNED_LABELS = 2  # turned words that may start a label before a turned frame is worth reading

_RIGHT_PART = {"лит", "стадия", "масса", "масштаб", "лист", "листов"}  # GOST stamp, right of наименование
_BELOW_FRAME = {"копировал", "формат"}  # printed under a GOST frame, not inside the stamp
_RU_ROLES = {  # the signature rows, whose spacing gives a stamp's row height
    spelling for spec, spellings in _SPECS if spec.value is _NAME and not spec.below for spelling in spellings
}


_Rect = tuple[float, float, float, float]  # x0, y0, x1, y1


# Both record types below spell out their height and centre: a NamedTuple cannot take a mixin.


class _Box(NamedTuple):
    """A word in the coordinates of the frame being read (upright or turned)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


class _Segment(NamedTuple):
    """Closely spaced words on one row: a cell's line of text."""

    number: int  # position in the frame's list of segments
    x0: float
    y0: float
    x1: float
    y1: float
    words: tuple[_Box, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


_Placed = TypeVar("_Placed", _Box, _Segment)


class _Label(NamedTuple):
    """A label found at the start of a segment; ``rest`` is what follows it in that segment."""

    spelling: str
    order: int
    spec: _Spec
    box: _Box
    segment: _Segment
    rest: tuple[_Box, ...]


class _Frame(NamedTuple):
    """The words of one reading direction, turned upright, and the way back to page coordinates."""

    boxes: list[_Box]
    to_page: Callable[[_Rect], _Rect]


@dataclass
class _Reading:
    """What one frame yielded; the first value found for a key is kept."""

    values: dict[str, str] = field(default_factory=dict)
    boxes: list[_Box] = field(default_factory=list)

    def put(self, key: str, value: str, boxes: Iterable[_Box] = ()) -> None:
        """Keeps ``value`` (whitespace collapsed) and where it was, unless the key is already known."""
        value = " ".join(value.split())
        if value and key not in self.values:
            self.values[key] = value
            self.boxes.extend(boxes)

    def put_match(self, key: str, match: re.Match[str], boxes: Iterable[_Box]) -> None:
        """Named groups of the value's pattern say where its parts go («1/2» -> sheet 1 of 2)."""
        named = {name: part for name, part in match.groupdict().items() if part}
        for name, part in named.items() or [(key, match.group(0))]:
            self.put(name, part, boxes)


def extract_title_block(words: list[Word]) -> TitleBlock:
    """The title block read from a page's words; an empty ``TitleBlock`` when none is recognised."""
    best: tuple[int, _Reading, _Frame] | None = None
    for frame in _frames(_unique(words)):
        found = _read_frame(frame)
        if found is not None and (best is None or found[0] > best[0]):
            best = (found[0], found[1], frame)
    if best is None:
        return TitleBlock()
    return _title_block(best[1], best[2])


def _title_block(reading: _Reading, frame: _Frame) -> TitleBlock:
    """The reading as a ``TitleBlock``; its bbox goes back to page coordinates."""
    values = dict(reading.values)
    if values.get("sheet_title") == values.get("sheet_code"):
        values.pop("sheet_title", None)  # the «name» cell held the drawing number, not a title
    core = {key: values.pop(key, None) for key in _CORE}
    bbox = [round(min(1.0, max(0.0, v)), 5) for v in frame.to_page(_hull(reading.boxes))]
    return TitleBlock(**core, fields=values, bbox=bbox)


def _unique(words: list[Word]) -> list[Word]:
    """Drops repeated words: some CAD exports write the text layer twice."""
    seen: set[tuple[str, float, float]] = set()
    unique = []
    for word in words:
        key = (word.text, round(word.x0, 3), round(word.y0, 3))
        if key not in seen and word.text.strip() and word.x1 > word.x0 and word.y1 > word.y0:
            seen.add(key)
            unique.append(word)
    return unique


# Reading directions ---------------------------------------------------------------------------


def _upright(box: _Rect) -> _Rect:
    return box


def _turn_ccw(box: _Rect) -> _Rect:
    """Text reading bottom-to-top becomes left-to-right; also maps a ``_turn_cw`` frame back."""
    x0, y0, x1, y1 = box
    return 1 - y1, x0, 1 - y0, x1


def _turn_cw(box: _Rect) -> _Rect:
    """Text reading top-to-bottom becomes left-to-right; also maps a ``_turn_ccw`` frame back."""
    x0, y0, x1, y1 = box
    return y0, 1 - x1, y1, 1 - x0


def _frames(words: list[Word]) -> Iterator[_Frame]:
    """The upright words, then turned words turned upright when some of them can start labels."""
    directions = _directions(words)
    yield _frame(words, directions, {"h", "?"}, _upright, _upright)
    for along, turn, back in (("up", _turn_ccw, _turn_cw), ("down", _turn_cw, _turn_ccw)):
        turned = (w for w, d in zip(words, directions, strict=True) if d in (along, "v"))
        if sum(_squash(w.text) in _PREFIXES for w in turned) >= _MIN_TURNED_LABELS:
            yield _frame(words, directions, {along, "v", "?"}, turn, back)


def _frame(
    words: list[Word],
    directions: list[str],
    wanted: set[str],
    turn: Callable[[_Rect], _Rect],
    back: Callable[[_Rect], _Rect],
) -> _Frame:
    boxes = [
        _Box(*turn((w.x0, w.y0, w.x1, w.y1)), w.text) for w, d in zip(words, directions, strict=True) if d in wanted
    ]
    return _Frame(boxes, back)


def _directions(words: list[Word]) -> list[str]:
    """Per word: "h" (horizontal), "up"/"down" (turned, reading that way), "v" (turned, way unknown), "?".

    A PyMuPDF line has one writing direction, seen from where its words follow each other. A lone
    word's shape says it only when it is clearly elongated and has four letters or more (a short word
    is about as tall as it is wide once the page's aspect ratio is unknown); other words go to every
    frame.
    """
    lines: dict[tuple[int, int], list[int]] = {}
    for i, word in enumerate(words):
        lines.setdefault((word.block, word.line), []).append(i)
    directions = ["?"] * len(words)
    for members in lines.values():
        direction = _line_direction([words[i] for i in members])
        for i in members:
            directions[i] = direction
    return directions


def _line_direction(line: list[Word]) -> str:
    first, last = line[0], line[-1]
    if len(line) > 1:
        dx = (last.x0 + last.x1 - first.x0 - first.x1) / 2
        dy = (last.y0 + last.y1 - first.y0 - first.y1) / 2
        if abs(dx) >= abs(dy):
            return "h"
        return "up" if dy < 0 else "down"
    elongation = (first.y1 - first.y0) / (first.x1 - first.x0)
    if len(first.text) < 4 or 1.0 <= elongation <= 2.0:
        return "?"  # narrow lettering («6061» in a tall font) can be taller than wide
    return "v" if elongation > 2.0 else "h"


# Segments and labels --------------------------------------------------------------------------


def _segments(boxes: list[_Box]) -> list[_Segment]:
    """Rows of words split wherever the gap is wider than a space or the lettering size changes."""
    segments: list[_Segment] = []
    for row in _rows(boxes):
        run: list[_Box] = []
        for box in sorted(row, key=lambda b: b.x0):
            if run and not _continues(run[-1], box):
                segments.append(_segment(len(segments), run))
                run = []
            run.append(box)
        segments.append(_segment(len(segments), run))
    return segments


def _rows(items: Iterable[_Placed]) -> Iterator[list[_Placed]]:
    """Groups words (or segments) whose vertical centres nearly coincide with the row's first one."""
    row: list[_Placed] = []
    first_cy = first_h = 0.0
    for item in sorted(items, key=lambda b: b.y0 + b.y1):  # hot loop: no properties
        cy, h = (item.y0 + item.y1) / 2, item.y1 - item.y0
        if row and abs(cy - first_cy) > _ROW_TOLERANCE * min(h, first_h):
            yield row
            row = []
        if not row:
            first_cy, first_h = cy, h
        row.append(item)
    if row:
        yield row


def _continues(previous: _Box, box: _Box) -> bool:
    h0, h1 = previous.y1 - previous.y0, box.y1 - box.y0
    height = max(h0, h1)
    return box.x0 - previous.x1 <= _WORD_GAP * height and min(h0, h1) >= height / 1.5


def _segment(index: int, words: list[_Box]) -> _Segment:
    return _Segment(index, *_hull(words), tuple(words))


def _squash(text: str) -> str:
    return "".join(filter(str.isalnum, text.lower().replace("ё", "е")))


def _labels(segments: list[_Segment]) -> list[_Label]:
    """Labels at segment starts; a packed header row («Масса Масштаб», «Изм. Лист») gives several.

    Single English words do not chain that way: «TITLE SHEET» is a value, not two labels.
    """
    labels = []
    for segment in segments:
        start = 0
        while (found := _spelling(segment.words[start:])) is not None:
            spelling, end = found[0], start + found[1]
            following = _spelling(segment.words[end:])
            followed = following is not None and not _generic(*found) and not _generic(*following)
            rest = () if followed else segment.words[end:]
            order, spec = _VOCABULARY[spelling]
            if rest and not (spec.inline or segment.words[end - 1].text.endswith(":")):
                break  # a phrase that merely begins with a label word («TITLE SHEET», «DESIGN LOADS»)
            labels.append(_Label(spelling, order, spec, _hull_box(segment.words[start:end]), segment, rest))
            if not followed:
                break
            start = end
    return labels


def _spelling(words: tuple[_Box, ...]) -> tuple[str, int] | None:
    """The longest label the words start with, and how many words it takes."""
    squashed, found = "", None
    for n, word in enumerate(words[:_LABEL_WORDS], 1):
        squashed += _squash(word.text)
        if squashed not in _PREFIXES:
            break
        if squashed in _VOCABULARY:
            found = (squashed, n)
    return found


def _cluster(labels: list[_Label], frame: _Frame) -> list[_Label]:
    """The title block's labels: the largest group of linked labels, nearest the bottom-right corner.

    Labels in the top-left quarter of the page never belong to it. A lone label counts only right
    in the corner (a «DAT.:» cell), where it is unlikely to be part of the drawing itself.
    """
    centres = {id(label): centre for label in labels if (centre := _centre(frame.to_page(label.box[:4])))}
    groups = _groups([label for label in labels if id(label) in centres])
    best = max(groups, key=lambda g: (len(g), max(sum(centres[id(label)]) for label in g)), default=[])
    if len(best) == 1:
        cx, cy = centres[id(best[0])]
        return best if cx > 0.6 and cy > 0.8 else []
    return best


def _centre(box: _Rect) -> tuple[float, float] | None:
    """The label's centre on the page, unless it lies in the top-left quarter."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return (cx, cy) if cx > 0.5 or cy > 0.5 else None


def _groups(labels: list[_Label]) -> list[list[_Label]]:
    groups = []
    pending = list(labels)
    while pending:
        group = [pending.pop()]
        for member in group:
            near = [label for label in pending if _linked(member, label)]
            group.extend(near)
            pending = [label for label in pending if label not in near]
        groups.append(group)
    return groups


def _linked(a: _Label, b: _Label) -> bool:
    """Whether two labels belong to one title block.

    Distinctive labels («Разраб.», «Лист», «DRAWN BY:», «图号») link across an empty cell along a row or
    a column: a GOST stamp's наименование column (70 mm, a third of an A4 sheet) separates its left
    and right labels. Single English words («SCALE:», «MATERIAL», «DATE») also head view titles and
    tables on the drawing, so they link only to a label close by on the same row, or in the same
    column of cells (left edges aligned), as a title block's grid places them.
    """
    dx = max(b.box.x0 - a.box.x1, a.box.x0 - b.box.x1, 0.0)
    dy = max(b.box.y0 - a.box.y1, a.box.y0 - b.box.y1, 0.0)
    height = max(a.box.h, b.box.h)
    if max(dx, dy) <= _ADJACENT * height:
        return True
    if _generic(a.spelling, len(a.box.text.split())) or _generic(b.spelling, len(b.box.text.split())):
        same_row = _overlap(a.box.y0, a.box.y1, b.box.y0, b.box.y1) >= 0.5 * min(a.box.h, b.box.h)
        same_column = abs(a.box.x0 - b.box.x0) <= height
        return (same_row and dx <= _NEAR_REACH * height) or (same_column and dy <= _NEAR_REACH * height)
    if min(dx, dy) <= 2 * height:
        return max(dx, dy) <= _BAND_GAP
    return max(dx, dy) <= _CLUSTER_GAP


def _generic(spelling: str, words: int) -> bool:
    """A single English word: such labels («SCALE», «TITLE», «DATE») also occur outside title blocks."""
    return spelling.isascii() and words == 1


# Reading a frame ------------------------------------------------------------------------------


class _Context(NamedTuple):
    """Where values are looked for: the segments near the block, which of them are labels."""

    segments: list[_Segment]
    label_ids: set[int]
    labels: list[_Label]  # the block's labels: a label's cell ends where a neighbouring label starts

    def is_label(self, segment: _Segment) -> bool:
        return segment.number in self.label_ids

    def free(self, used: Iterable[_Box]) -> list[_Segment]:
        """Segments that are neither labels nor already taken as a value."""
        taken = set(used)
        return [s for s in self.segments if not self.is_label(s) and taken.isdisjoint(s.words)]


def _read_frame(frame: _Frame) -> tuple[int, _Reading] | None:
    """The frame's title block as (number of labels, values), or None when it has no labels."""
    segments = _segments(frame.boxes)
    labels = _labels(segments)
    cluster = _cluster(labels, frame)
    if not cluster:
        return None
    context = _Context(_around(segments, cluster), {label.segment.number for label in labels}, cluster)
    stamp = _stamp(context)
    if stamp is not None:
        cluster = [label for label in cluster if not stamp.in_header_row(label)]
        context = context._replace(labels=cluster)
    reading = _Reading(boxes=[label.box for label in cluster])
    found = _read_labels(context, reading)
    _read_phrases(context, reading)
    if stamp is not None:
        _read_stamp(stamp, context, found, reading)
    elif len(cluster) > 1:
        _read_corner_code(context, reading)
    return len(cluster), reading


def _around(segments: list[_Segment], labels: list[_Label]) -> list[_Segment]:
    """The segments near the labels: the only ones values and stamp cells can come from."""
    x0, y0, x1, y1 = _hull(label.box for label in labels)
    return [
        s
        for s in segments
        if s.x1 >= x0 - _LOCAL_MARGIN
        and s.x0 <= x1 + _LOCAL_MARGIN
        and s.y1 >= y0 - _LOCAL_MARGIN
        and s.y0 <= y1 + _LOCAL_MARGIN
    ]


def _read_labels(context: _Context, reading: _Reading) -> dict[int, list[_Box]]:
    """Every label's value, by label position (where a stamp's cells end depends on them)."""
    found = {}
    for label in sorted(context.labels, key=lambda lb: (lb.order, -lb.box.cx - lb.box.cy)):
        value = _value(label, context)
        if value is not None:
            match, boxes = value
            reading.put_match(label.spec.key, match, boxes)
            found[id(label)] = boxes
    return found


def _value(label: _Label, context: _Context) -> tuple[re.Match[str], list[_Box]] | None:
    if label.spec.value is None:
        return None
    for boxes in _candidates(label, context):
        match = label.spec.value.fullmatch(" ".join(box.text for box in boxes))
        if match is not None:
            return match, boxes
    return None


def _candidates(label: _Label, context: _Context) -> Iterator[list[_Box]]:
    """Where a value may be, nearest first: after the label, right of it, under it.

    Another label met on the way means the label's own cell is empty.
    """
    if label.rest:
        yield list(label.rest)
        return
    right = _to_right(label.box, context.segments)
    if right is not None and not context.is_label(right):
        yield list(right.words)
    if label.spec.below:
        lines = _below(label, context)
        if lines:
            yield [word for line in lines for word in line.words]


def _to_right(box: _Box, segments: list[_Segment]) -> _Segment | None:
    beside = [
        s
        for s in segments
        if -0.1 * box.h <= s.x0 - box.x1 <= _RIGHT_REACH * box.h
        and _overlap(box.y0, box.y1, s.y0, s.y1) >= 0.5 * min(box.h, s.h)
    ]
    return min(beside, key=lambda s: s.x0, default=None)


def _below(label: _Label, context: _Context) -> list[_Segment]:
    """The line under the label, and for a multi-line value the lines that continue it."""
    box = label.box
    left, right = _column(label, context.labels)
    under = [
        s for s in context.segments if -0.3 * box.h <= s.y0 - box.y1 <= _BELOW_REACH * box.h and left <= s.cx <= right
    ]
    if not under:
        return []
    top = min(s.y0 for s in under)
    first = min((s for s in under if s.y0 <= top + 0.3 * box.h), key=lambda s: abs(s.cx - box.cx))
    if context.is_label(first):
        return []
    lines = [first]
    while label.spec.multiline and len(lines) < _MAX_VALUE_LINES:
        following = _next_line(lines, context.segments)
        if following is None or context.is_label(following):
            break
        lines.append(following)
    return lines


def _column(label: _Label, labels: list[_Label]) -> tuple[float, float]:
    """Where the centre of a value under the label may lie.

    A value is often centred in a cell wider than its label, but the cell ends where the next label
    on the same row begins: half way to it (GOST «Масса | Масштаб», «SHEET TITLE: | Drawn by:»).
    """
    box = label.box
    width = box.x1 - box.x0
    left, right = box.x0 - max(0.5 * width, box.h), box.x1 + max(2 * width, 3 * box.h)
    for other in labels:
        if other is not label and _overlap(box.y0, box.y1, other.box.y0, other.box.y1) > 0.5 * box.h:
            if other.box.x1 <= box.x0:
                left = max(left, (other.box.x1 + box.x0) / 2)
            elif other.box.x0 >= box.x1:
                right = min(right, (box.x1 + other.box.x0) / 2)
    return left, right


def _next_line(lines: list[_Segment], segments: list[_Segment]) -> _Segment | None:
    last = lines[-1]
    x0, x1 = min(s.x0 for s in lines), max(s.x1 for s in lines)
    following = [
        s
        for s in segments
        if s.cy > last.y1
        and s.y0 - last.y1 <= _LINE_GAP * last.h
        and s.x1 >= x0
        and s.x0 <= x1
        and 0.75 <= s.h / last.h <= 1.33
    ]
    return min(following, key=lambda s: (s.y0, s.x0), default=None)


def _read_phrases(context: _Context, reading: _Reading) -> None:
    """«Total 12 page», «No.3 Page»: alone in a segment or split over it and its right neighbour."""
    free = context.free(())
    for segment in free:
        if not _PHRASE_START.match(segment.words[0].text):
            continue
        right = _to_right(segment.words[-1], free)
        words = [segment.words, segment.words + right.words] if right is not None else [segment.words]
        for phrase, boxes in itertools.product(_SHEET_PHRASES, words):
            match = phrase.fullmatch(" ".join(box.text for box in boxes))
            if match is not None:
                reading.put_match("", match, boxes)


def _read_corner_code(context: _Context, reading: _Reading) -> None:
    """An English block's unlabelled sheet number: the tallest code-like text inside the block."""
    if "sheet_code" in reading.values:
        return
    label_height = median(label.box.h for label in context.labels)
    x0, y0, x1, y1 = _hull(reading.boxes)
    margin = 2 * label_height
    codes = [
        s
        for s in context.free(())
        if x0 - margin <= s.cx <= x1 + margin
        and y0 - margin <= s.cy <= y1 + margin
        and s.h >= 1.5 * label_height
        and _CORNER_CODE.fullmatch(s.text)
    ]
    code = max(codes, key=lambda s: s.h, default=None)
    if code is not None:
        reading.put("sheet_code", code.text, code.words)


# GOST stamps ----------------------------------------------------------------------------------


class _Stamp(NamedTuple):
    """Where a GOST stamp's columns and rows are, from its «Изм. ... Дата» header row."""

    header: _Box  # the «Изм.» label
    left_part_end: float  # right edge of the «Дата» column, where обозначение and наименование start
    pitch: float  # height of one stamp row (5 mm)

    def in_header_row(self, label: _Label) -> bool:
        """True for the header's own «Лист» column, which is not the label of the sheet number."""
        return (
            label.spec.value is not None
            and abs(label.box.cy - self.header.cy) <= 0.5 * self.header.h
            and label.box.x1 <= self.left_part_end
        )


def _stamp(context: _Context) -> _Stamp | None:
    header = next((label.box for label in context.labels if label.spelling == "изм"), None)
    if header is None:
        return None
    dates = [
        word
        for segment in context.segments
        for word in segment.words
        if abs(word.cy - header.cy) <= 0.5 * header.h and word.x0 > header.x0 and _squash(word.text) == "дата"
    ]
    if not dates:
        return None
    rows = sorted({label.box.y0 for label in context.labels if label.spelling in _RU_ROLES})
    steps = [b - a for a, b in itertools.pairwise(rows) if b - a > 0.5 * header.h]
    pitch = min(steps) if steps else 1.05 * header.h
    return _Stamp(header, min(dates, key=lambda w: w.x0).x1, pitch)


def _read_stamp(stamp: _Stamp, context: _Context, found: dict[int, list[_Box]], reading: _Reading) -> None:
    """The stamp's unlabelled cells, located from its header row and its right-hand labels.

    ГОСТ 2.104: обозначение above (or, on later sheets, level with) the header; наименование in the
    middle column, down to the «Лист/Листов» row on drawings (material under it) or to the bottom on
    text documents; the organisation right, under «Лит./Лист/Листов». ГОСТ Р 21.101 adds rows: object
    under the обозначение, building level with «Стадия», the sheet's images (its title) at the bottom.
    """
    left = stamp.left_part_end
    right_labels = [label for label in context.labels if label.spelling in _RIGHT_PART and label.box.x0 > left]
    right = min((label.box.x0 for label in right_labels), default=1.0)
    bottom = max(label.box.y1 for label in context.labels if label.spelling not in _BELOW_FRAME)
    right_bottom = max(
        (box.y1 for label in right_labels for box in [label.box, *found.get(id(label), [])]),
        default=stamp.header.y1,
    )
    code_bottom = _read_stamp_code(stamp, context.free(reading.boxes), reading)
    free = context.free(reading.boxes)
    middle = [s for s in free if left < s.cx < right and s.cy <= bottom]
    stage = next((label.box for label in context.labels if label.spelling == "стадия"), None)
    if stage is not None:
        split = right_bottom + 0.5 * stamp.pitch  # the building cell ends with the values' cell
        _put_lines(reading, "project", [s for s in free if s.cx > left and code_bottom < s.cy < stage.y0])
        _put_lines(reading, "building", [s for s in middle if stage.y0 <= s.cy <= split])
        _put_lines(reading, "sheet_title", [s for s in middle if s.cy > split])
    else:
        drawing = any(label.spelling in ("масса", "масштаб") for label in right_labels)
        name_bottom = right_bottom if drawing else bottom
        _put_lines(reading, "sheet_title", [s for s in middle if stamp.header.y0 <= s.cy <= name_bottom])
        _put_lines(reading, "material", [s for s in middle if s.cy > name_bottom])
    _put_lines(reading, "organization", [s for s in free if s.cx > right and right_bottom < s.cy <= bottom])


def _read_stamp_code(stamp: _Stamp, free: list[_Segment], reading: _Reading) -> float:
    """The обозначение: the tallest code in its cell; returns where that cell ends."""
    top = stamp.header.y0 - 3.5 * stamp.pitch
    if "sheet_code" in reading.values:
        return top  # read from a «Шифр»/«Обозначение» label; the cell's extent is unknown
    codes = [
        s
        for s in free
        if s.cx > stamp.left_part_end and top <= s.cy <= stamp.header.y1 and _STAMP_CODE.fullmatch(s.text)
    ]
    code = max(codes, key=lambda s: s.h, default=None)
    if code is None:
        return top
    reading.put("sheet_code", code.text, code.words)
    return code.y1


def _put_lines(reading: _Reading, key: str, segments: list[_Segment]) -> None:
    lines = [" ".join(s.text for s in sorted(row, key=lambda s: s.x0)) for row in _rows(segments)]
    reading.put(key, " ".join(lines), (word for s in segments for word in s.words))


# Geometry helpers -----------------------------------------------------------------------------


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def _hull(boxes: Iterable[_Box]) -> _Rect:
    """The rectangle around non-empty ``boxes``."""
    x0s, y0s, x1s, y1s, *_ = zip(*boxes, strict=False)
    return min(x0s), min(y0s), max(x1s), max(y1s)


def _hull_box(words: tuple[_Box, ...]) -> _Box:
    return _Box(*_hull(words), " ".join(w.text for w in words))
