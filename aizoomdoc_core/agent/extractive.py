"""The answer without a model: the lines where the question's words meet, quoted with where they are.

It is what a question gets offline, with no model configured, or when the model failed. The line
that answers comes first, with no preamble (a person reads the first lines, a chat preview shows
only those); that no model was asked is said after the quotes (and in a notice): nobody should take
quotes for a model's reading of the sheet. A quote names its document once: the next quote of the
same document says only its sheet and page.

A hit is a whole block (a title block, a schedule, a column of notes); what answers is a line or
a field of it. Lines are scored by the question's concepts they hold (``terms``: words by exact
form or stem, codes whole and counting double, a concept rarer among the hits' lines counting
more; a word also by its translations, ``glossary``, for a sheet in the other language), and up to
``QUOTED`` quotes are given, about ``ITEM_CHARS`` characters each, cut at a word boundary:

- a drawn schedule's row (``rows``: one block, its cells its lines) where the question's subject
  is, under the title or header that matched, as "header — row", cells parted by " / ";

- a title block's fields the question names as "field: value", the label in the question's
  language, then the fields that name the sheet (code, number, title);
- a table's row (cells "a | b") after the table's header row, a long one cut cell by cell so
  that its short cells (a date, a mark) still show; when the table's title is what matched, the
  row under it that holds most of the rest of the question;
- a short block whole (on a drawing, often a row of cells); in a longer one the matched line with
  what follows it; in a long line, the words around the match;
- a label alone ("DEMOLITION:") with its value (``labels``): the block right of it, with the
  cells of its row after it, or the block under it, as far as an image shows them.

Quotes follow search's order, the page of the first image first, so that the first quote can be
read in the first image; one that holds little of what the best holds of the question goes last.
No quote is given twice: the same text in two formats of one set, or in two hits of one page, is
recognised by its letters and digits alone, and the one that says more is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import AizoomdocError
from ..models import Citation
from ..search import Hit
from ..terms import QUANTITY_MARK, matched_concepts, normalize, quantity_terms, query_concepts, token_terms, tokens
from .evidence import Evidence, snippet
from .followed import Followed
from .glossary import bilingual
from .labels import CANDIDATES, EPS, is_label
from .labels import weights as _weights
from .labels import weight as _weight
from .rows import CELLS, Row
from .rows import cells as row_cells
from .texts import Texts

QUOTED = 3  # quotes in an answer
ITEM_CHARS = 200  # about this many characters a quote
HEADER_CHARS = 90  # of a table's header row, before its row
MIN_CELL = 8  # characters a cell keeps when a long row is cut to show all its cells
LEAD_CHARS = 40  # of a long line, before its first matched word
LEADS_CHARS = 120  # of what a followed reference leads to
VALUED = 5  # blocks of the first page with a value in an asked unit, quoted when no hit holds one
STRONG = 0.3  # a quote with less of the question than this share of the best one's goes after the others
IDENTITY = 3  # a title block's first fields, which name the sheet (``TitleBlock.as_text``)
CELL = " | "
_FIELD = re.compile(r"^(?P<label>[^:\n]{1,60}?): (?P<value>.+)$")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_KEY = re.compile(r"[\W_]+", re.UNICODE)
_NUMBERED = re.compile(r"^\s*\d+(?:[.,]\d+)*\.?\s*\|")  # a row whose first cell is its number
# Where a line starts pointing elsewhere: "SEE NOTE 3", "REFER TO SHEET E-1", «см. лист 5», «смотреть раздел КЖ».
_POINTER = re.compile(r"\b(?:see|refer\s+to|see\s+also)\b|(?<!\w)(?:см\.|смотр(?:и|еть))", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    text: str
    hit: Hit
    score: float  # the weight of the question's concepts the quote holds
    rank: int  # of its hit, the first image's page first, then in search's order
    key: str  # its own text (without a neighbour's value) as ``_key`` folds it
    tells: bool = True  # it says something besides the question's words and where to look


def extractive_answer(
    texts: Texts, question: str, hits: list[Hit], evidence: Evidence, earlier: str = "",
    followed: Followed | None = None,
) -> tuple[str, list[Citation]]:
    """The answer's text and the citations of the hits it quotes (``earlier``: see ``quotes``); under
    the quote whose reference was ``followed``, where it leads."""
    if not hits:
        return texts.nothing_found, []
    lines = []
    named = None  # the document the line before named: the next line of it says only where
    for quote in quotes(question, hits, evidence, texts.language, earlier, followed):
        hit = quote.hit
        lines.append(f"- «{quote.text}» — {_where(texts, hit, named)} [{evidence.add_hit(hit)}]")
        named = hit.document_name
        if followed is not None and (hit.document_id, hit.block_id) == (followed.source.document_id,
                                                                         followed.source.block_id):
            target = followed.target
            lines.append(texts.leads_to.format(reference=followed.reference.text, target=snippet(target.text, LEADS_CHARS),
                                               where=_where(texts, target, named)) + f" [{evidence.add_hit(target)}]")
            named = target.document_name
    text = "\n".join([*lines, "", texts.best_matches] if lines else [texts.best_matches])
    return text, evidence.citations(text)


def _block(hit: Hit) -> tuple[str, str]:
    return hit.document_id, hit.block_id


def _where(texts: Texts, hit: Hit, named: str | None) -> str:
    """Where a quoted block is: its document (unless the line before named it), sheet and page."""
    document = f"{hit.document_name}, " if hit.document_name != named else ""
    sheet = f"{texts.sheet} {hit.sheet_code}, " if hit.sheet_code else ""
    return f"{document}{sheet}{texts.page} {hit.page}"


def quotes(
    question: str, hits: list[Hit], evidence: Evidence, language: str, earlier: str = "",
    followed: Followed | None = None,
) -> list[Quote]:
    """The ``QUOTED`` best quotes of ``hits`` for ``question``, best first, none twice.

    ``earlier`` is the question a follow-up follows: "Who makes it?" after "What is fixture
    P-3?" asks for P-3's row, so the earlier question's words count too, at half weight. A quote
    whose reference was ``followed`` tells where the answer is (what it leads to is said under it,
    and not quoted again)."""
    concepts = bilingual(query_concepts(question))  # a Russian sheet's line for an English question
    own = len(concepts)
    concepts += [c for c in bilingual(query_concepts(earlier)) if c not in concepts]
    first = _first_shown(evidence, hits)
    ordered = sorted(hits[:CANDIDATES], key=lambda hit: (hit.document_id, hit.page) != first)
    weighted = _weights(concepts, ordered, own)
    found: list[Quote] = []
    for position, hit in enumerate(ordered):
        row = evidence.row(hit, concepts, weighted)
        if row is not None:  # a schedule's title, header or row: the row that answers, after its header
            text = _table_row(row)
            score = _weight(f"{hit.text} {text}", concepts, weighted)
            found.append(Quote(text, row.row, score, position, _key(row_cells(row.row))))
            continue
        best = _best_quote(hit, concepts, weighted, language)
        if best is None:
            continue
        text, score = best
        key = _key(text)  # what the hit itself says, to know it again in another hit
        value = _value(evidence, hit, concepts, weighted) if is_label(text, concepts) else None
        if value is not None:  # a label alone: its value is the next block, right of it or under it
            text = _cut(f"{text} → {value}")
            score = max(score, (score + _weight(text, concepts, weighted)) / 2)  # the value counts half
        found.append(Quote(text, hit, score, position, key, _tells(text, concepts)))
    found += _values_on_page(evidence, first, ordered, found, concepts[:own], concepts, weighted, language)
    if followed is not None:
        source, target = _block(followed.source), _block(followed.target)
        found = [replace(q, tells=q.tells or _block(q.hit) == source) for q in found if _block(q.hit) != target]
    # In search's order (the first image's page first), but a quote that holds little of what
    # the best one holds of the question, or nothing but the question's words (and where to look
    # for the rest: "ROOF INSULATION, SEE NOTES"), goes after the others.
    top = max((q.score for q in found), default=0.0)
    found.sort(key=lambda q: (q.score < STRONG * top or not q.tells, q.rank))
    chosen: list[Quote] = []
    keys: list[str] = []
    for quote in found:
        key = quote.key
        if not key or any(key in k for k in keys):
            continue
        within = [i for i, k in enumerate(keys) if k in key]  # an earlier quote that says less
        if within:
            keys[within[0]], chosen[within[0]] = key, quote
            continue
        keys.append(key)
        chosen.append(quote)
        if len(chosen) == QUOTED:
            break
    return chosen


def _values_on_page(
    evidence: Evidence, page: tuple[str | None, int | None], ordered: list[Hit], found: list[Quote],
    asked: Sequence[Sequence[str]], concepts: Sequence[Sequence[str]], weights: Sequence[float], language: str,
) -> list[Quote]:
    """When the question asks for a quantity ("what voltage?", «какая толщина?») and no quote holds a
    value in its unit, the quotes of the blocks of ``page`` (the first image's) that do, nearest to
    its best hit first: a sheet prints "380V" by a feeder, not the word "voltage", and search, which
    reads words, ranks that block nowhere."""
    wanted = {term for concept in asked for term in concept if term.startswith(QUANTITY_MARK)}
    document, number = page
    if not wanted or document is None or number is None or any(wanted & quantity_terms(q.text) for q in found):
        return []
    known = {(hit.document_id, hit.block_id) for hit in ordered}
    anchor = next((hit.bbox for hit in ordered if (hit.document_id, hit.page) == page), [0.5, 0.5, 0.5, 0.5])
    try:
        page_blocks = evidence.page_blocks(document, number)
    except AizoomdocError:  # the store is away: the quotes of the hits alone
        return []
    blocks = [block for block in page_blocks
              if (block.document_id, block.block_id) not in known and wanted & quantity_terms(block.text)]
    blocks.sort(key=lambda block: _distance(block.bbox, anchor))
    valued = []
    for rank, block in enumerate(blocks[:VALUED], len(ordered)):
        best = _best_quote(block, concepts, weights, language)
        if best is not None:
            valued.append(Quote(best[0], block, best[1], rank, _key(best[0]), _tells(best[0], concepts)))
    return valued


def _distance(bbox: Sequence[float], other: Sequence[float]) -> float:
    """How far apart two boxes are (0 when they touch or overlap), in page widths and heights."""
    dx = max(0.0, other[0] - bbox[2], bbox[0] - other[2])
    dy = max(0.0, other[1] - bbox[3], bbox[1] - other[3])
    return dx + dy


def _value(evidence: Evidence, hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> str | None:
    """The label's value (``labels.label_value``, the same blocks its crop was made to hold), as far
    as an image shows it: a value nobody can see beside the quote is not quoted."""
    shown = [image.bbox for image in evidence.images
             if image.document_id == hit.document_id and image.page == hit.page and image.bbox]
    if not shown:
        return None
    cells: list[str] = []
    for block in evidence.value(hit, concepts, weights):
        if not any(_inside(block.bbox, box) for box in shown):
            break
        cells.append(" ".join(block.text.split()))
    return " | ".join(cells) or None


def _inside(bbox: Sequence[float], region: Sequence[float]) -> bool:
    return (region[0] <= bbox[0] + EPS and region[1] <= bbox[1] + EPS
            and bbox[2] <= region[2] + EPS and bbox[3] <= region[3] + EPS)


def _first_shown(evidence: Evidence, hits: list[Hit]) -> tuple[str | None, int | None]:
    crops = [image for image in evidence.images if image.kind == "zoom_crop"] or evidence.images
    if crops:
        return crops[0].document_id, crops[0].page
    return (hits[0].document_id, hits[0].page) if hits else (None, None)


def _best_quote(hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float], language: str) -> tuple[str, float] | None:
    """The quote of ``hit`` that holds most of the question, with that weight."""
    lines = [line.strip() for line in hit.text.split("\n")]
    lines = [line for line in lines if line]
    if hit.kind == "title_block":
        lines = lines[1:]  # the heading: it names the block, not a field
    if not lines:
        return None
    scored = [(_weight(line, concepts, weights), i) for i, line in enumerate(lines)]
    if hit.kind == "title_block":
        text = _fields(lines, scored, language)
    else:
        index = max(scored, key=lambda s: (s[0], -s[1]))[1]
        row = index if CELL in lines[index] else _row_under(lines, index, concepts, weights)
        text = _row(lines, row) if row is not None else _passage(lines, index, concepts, weights)
        if row is not None and row != index:  # the table's title matched: it counts with its row
            score = _weight(f"{lines[index]} {text}", concepts, weights)
            return text, score if _tells(text, concepts) else score / 4
    score = _weight(text, concepts, weights)
    if not _tells(text, concepts):
        score /= 4  # it only repeats the question (the code asked about, alone): anything else first
    return text, score


def _row_under(lines: list[str], index: int, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> int | None:
    """When the best line of a table's block is its title (not a row), the row that holds most of
    the rest of the question, if one holds any: "which fan is in the equipment list?" is answered
    by the fan's row under the list's title, not by the title."""
    held = matched_concepts(concepts, lines[index])
    rows = [i for i, line in enumerate(lines) if CELL in line][1:]  # the first is the header
    best = max(((sum(weights[c] for c in matched_concepts(concepts, lines[i]) - held), -i) for i in rows), default=None)
    return -best[1] if best is not None and best[0] > 0 else None


def _fields(lines: list[str], scored: list[tuple[float, int]], language: str) -> str:
    """A title block's fields that the question names, best first, then the sheet's code and title,
    as "field: value; field: value" within ``ITEM_CHARS``."""
    order = [i for w, i in sorted(scored, key=lambda s: (-s[0], s[1])) if w > 0]
    # Then what names the sheet (its first fields: code, number, title), or, when the question
    # named no field ("read me the stamp"), every field.
    order += [i for i in range(len(lines) if not order else min(IDENTITY, len(lines))) if i not in order]
    text = ""
    for i in order:
        field = _field(lines[i], language)
        if not text:
            text = _cut(field)
        elif len(text) + 2 + len(field) <= ITEM_CHARS:
            text = f"{text}; {field}"
    return text


def _tells(text: str, concepts: Sequence[Sequence[str]]) -> bool:
    """Whether ``text`` holds a word or number that is not one of the question's, before any
    pointer to elsewhere: "ROOF INSULATION, SEE GENERAL NOTES" says where the answer is, not what."""
    asked = {term for concept in concepts for term in concept}
    said = _POINTER.split(text.replace("…", ""), maxsplit=1)[0]
    return any(not asked.intersection(token_terms(token)) for token in tokens(said))


def _field(line: str, language: str) -> str:
    """A title block's "Label / Метка: value" as "label: value", the label in ``language``."""
    match = _FIELD.match(line)
    if not match:
        return line
    label = match["label"]
    sides = [side.strip() for side in label.split(" / ")]
    russian = [side for side in sides if _CYRILLIC.search(side)]
    other = [side for side in sides if not _CYRILLIC.search(side)]
    if russian and other:  # "Checked by / Пров.": one side per language; a printed "A / B" stays whole
        label = russian[0] if language == "ru" else other[0]
    return f"{label}: {match['value']}"


def _row(lines: list[str], index: int) -> str:
    """A table row after its table's header (the first row), each cut to fit. A first row that is
    numbered like the others ("11 | ...") is no header: the table goes on from the page before, and
    the row gets the whole quote."""
    header = next((i for i, line in enumerate(lines) if CELL in line), index)
    row = lines[index]
    if header == index or _NUMBERED.match(lines[header]):
        return _cells(row, ITEM_CHARS)
    head = _cells(lines[header], HEADER_CHARS)
    return f"{head} — {_cells(row, max(ITEM_CHARS - len(head), ITEM_CHARS // 2))}"


def _table_row(row: Row) -> str:
    """A schedule's row block after its header block, both cell by cell ("MARK / ITEM — X-28 / BATHTUB")."""
    body = row_cells(row.row)
    if row.header is None:
        return _cells(body, ITEM_CHARS, CELLS)
    head = _cells(row_cells(row.header), HEADER_CHARS, CELLS)
    return f"{head} — {_cells(body, max(ITEM_CHARS - len(head), ITEM_CHARS // 2), CELLS)}"


def _cells(row: str, limit: int, separator: str = CELL) -> str:
    """A row "a | b | c" within ``limit`` characters with every cell in it: short cells whole, the
    long ones cut to equal shares of what is left. The answer is usually a short cell at the end
    (a date, a mark, a quantity), after a long description that would take the whole quote."""
    cells = [" ".join(cell.split()) for cell in row.split(separator)]
    room = limit - len(separator) * (len(cells) - 1)
    if len(row) <= limit or room < MIN_CELL * len(cells):
        return _cut(row, limit)
    kept: dict[int, str] = {}
    for count, i in enumerate(sorted(range(len(cells)), key=lambda i: len(cells[i]))):
        share = room // (len(cells) - count)
        kept[i] = cells[i] if len(cells[i]) <= share else _cut(cells[i], share)
        room -= len(kept[i])
    return separator.join(kept[i] for i in range(len(cells)))


def _passage(lines: list[str], index: int, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> str:
    """A short block whole (a drawing's row of cells, a label with its value), else the matched line
    from where its sentence starts, with the lines after it, and before it while there is room; in
    a long line, the words around the match, on into the next lines."""
    if len(" ".join(lines)) <= ITEM_CHARS:
        return " ".join(lines)
    line = lines[index]
    if len(line) > ITEM_CHARS:  # read on into the lines after it: "... developed under:" ends a line
        return _around(" ".join(lines[index:]), concepts, weights)
    first, last = index, index
    size = len(line)
    # A line that starts in lower case goes on from the line before (a sentence wrapped on the
    # sheet: "1. Make the board by the combined" / "method"): the quote starts where it starts.
    while first > 0 and lines[first][:1].islower() and size + 1 + len(lines[first - 1]) <= ITEM_CHARS:
        first -= 1
        size += 1 + len(lines[first])
    while last + 1 < len(lines) and size + 1 + len(lines[last + 1]) <= ITEM_CHARS:
        last += 1
        size += 1 + len(lines[last])
    while first > 0 and size + 1 + len(lines[first - 1]) <= ITEM_CHARS:
        first -= 1
        size += 1 + len(lines[first])
    text = " ".join(lines[first:last + 1])
    if last + 1 < len(lines) and size < ITEM_CHARS * 3 // 4:  # room for the start of the next line
        text = _cut(f"{text} {lines[last + 1]}")
    return text


def _around(line: str, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> str:
    """The words of a long ``line`` where most of the question meets, from a little before them.

    The window (about ``ITEM_CHARS``) starts at the matched word whose window holds the greatest
    weight of the question's concepts, the earliest of equals: a note that opens with a common word
    of the question ("pipes ...") and names the rarer ones far later ("... pipe insulation: mineral
    wool 50 mm") is quoted where they are, not from its first word.
    """
    words = line.split(" ")
    found = [matched_concepts(concepts, word) for word in words]
    room = ITEM_CHARS - LEAD_CHARS
    start, best = 0, -1.0
    for first, matched in enumerate(found):
        if not matched:
            continue
        seen: set[int] = set()
        size, end = -1, first
        while end < len(words) and size + 1 + len(words[end]) <= room:
            seen |= found[end]
            size += 1 + len(words[end])
            end += 1
        score = sum(weights[i] for i in seen | matched)
        if score > best:
            start, best = first, score
    lead = start
    while lead > 0 and len(" ".join(words[lead - 1:start])) <= LEAD_CHARS:
        lead -= 1
    text = " ".join(words[lead:])
    return ("… " if lead else "") + _cut(text, ITEM_CHARS - (2 if lead else 0))


def _cut(text: str, limit: int = ITEM_CHARS) -> str:
    return snippet(text, limit)


def _key(text: str) -> str:
    """What two spellings of one quote share: its letters and digits, case and ё folded."""
    return _KEY.sub("", normalize(text.replace("…", "")))
