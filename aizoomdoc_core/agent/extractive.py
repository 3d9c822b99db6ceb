"""The answer without a model: the lines where the question's words meet, quoted with where they are.

It is what a question gets offline, with no model configured, or when the model failed. The line
that answers comes first, with no preamble (a person reads the first lines, a chat preview shows
only those); that no model was asked is said after the quotes (and in a notice): nobody should take
quotes for a model's reading of the sheet. A quote names its document once: the next quote of the
same document says only its sheet and page.

A hit is a whole block (a title block, a schedule, a column of notes); what answers is a line or
a field of it. Lines are scored by the question's concepts they hold (``terms``: words by exact
form or stem, codes whole and counting double, a concept rarer among the hits' lines counting
more), and up to ``QUOTED`` quotes are given, about ``ITEM_CHARS`` characters each, cut at a word
boundary:

- a title block's fields the question names as "field: value", the label in the question's
  language, then the fields that name the sheet (code, number, title);
- a table's row (cells "a | b") after the table's header row;
- a short block whole (on a drawing, often a row of cells); in a longer one the matched line with
  what follows it; in a long line, the words around the match;
- a label alone ("DEMOLITION:") with its value: the nearest block right of it or under it, in
  an image shown, that is not another label of the same words.

Quotes follow search's order, the page of the first image first, so that the first quote can be
read in the first image; one that holds little of what the best holds of the question goes last.
No quote is given twice: the same text in two formats of one set, or in two hits of one page, is
recognised by its letters and digits alone, and the one that says more is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import AizoomdocError
from ..models import Citation
from ..search import Hit
from ..terms import is_code, matched_concepts, normalize, query_concepts, token_terms, tokens
from .evidence import Evidence, snippet
from .rows import EPS, is_label, on_row, small
from .texts import Texts

QUOTED = 3  # quotes in an answer
CANDIDATES = 8  # the best hits whose lines may be quoted
ITEM_CHARS = 200  # about this many characters a quote
HEADER_CHARS = 90  # of a table's header row, before its row
LEAD_CHARS = 40  # of a long line, before its first matched word
RIGHT_REACH, BELOW_REACH = 40.0, 3.0  # how far a value may be, in the label's heights
MIN_VALUE = 3  # characters of a value: a lone letter or digit beside a label is a tag or a grid bubble
STRONG = 0.3  # a quote with less of the question than this share of the best one's goes after the others
IDENTITY = 3  # a title block's first fields, which name the sheet (``TitleBlock.as_text``)
CELL = " | "
_FIELD = re.compile(r"^(?P<label>[^:\n]{1,60}?): (?P<value>.+)$")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_KEY = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Quote:
    text: str
    hit: Hit
    score: float  # the weight of the question's concepts the quote holds
    rank: int  # of its hit, the first image's page first, then in search's order
    key: str  # its own text (without a neighbour's value) as ``_key`` folds it


def extractive_answer(texts: Texts, question: str, hits: list[Hit], evidence: Evidence) -> tuple[str, list[Citation]]:
    """The answer's text and the citations of the hits it quotes."""
    if not hits:
        return texts.nothing_found, []
    lines = []
    named = None  # the document the line before named: the next line of it says only where
    for quote in quotes(question, hits, evidence, texts.language):
        hit = quote.hit
        document = f"{hit.document_name}, " if hit.document_name != named else ""
        named = hit.document_name
        sheet = f"{texts.sheet} {hit.sheet_code}, " if hit.sheet_code else ""
        lines.append(f"- «{quote.text}» — {document}{sheet}{texts.page} {hit.page} [{evidence.add_hit(hit)}]")
    text = "\n".join([*lines, "", texts.best_matches] if lines else [texts.best_matches])
    return text, evidence.citations(text)


def quotes(question: str, hits: list[Hit], evidence: Evidence, language: str) -> list[Quote]:
    """The ``QUOTED`` best quotes of ``hits`` for ``question``, best first, none twice."""
    concepts = query_concepts(question)
    first = _first_shown(evidence, hits)
    ordered = sorted(hits[:CANDIDATES], key=lambda hit: (hit.document_id, hit.page) != first)
    weights = _weights(concepts, ordered)
    found: list[Quote] = []
    for position, hit in enumerate(ordered):
        best = _best_quote(hit, concepts, weights, language)
        if best is None:
            continue
        text, score = best
        key = _key(text)  # what the hit itself says, to know it again in another hit
        value = _value(evidence, hit, concepts, weights, matched_concepts(concepts, text)) if is_label(text, concepts) else None
        if value is not None:  # a label alone: its value is the next block, right of it or under it
            text = _cut(f"{text} → {value}")
            score = max(score, (score + _weight(text, concepts, weights)) / 2)  # the value counts half
        found.append(Quote(text, hit, score, position, key))
    # In search's order (the first image's page first), but a quote that holds little of what
    # the best one holds of the question goes after the others.
    top = max((q.score for q in found), default=0.0)
    found.sort(key=lambda q: (q.score < STRONG * top, q.rank))
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


def _weights(concepts: Sequence[Sequence[str]], hits: list[Hit]) -> list[float]:
    """Per concept, how much a line that holds it says: rarer among the hits' lines is more, as in
    search, and a code counts double ("sheet" is on every line of a title block, "checked" on one)."""
    lines = [line for hit in hits for line in hit.text.split("\n") if line.strip()]
    held = [0] * len(concepts)
    for line in lines:
        for i in matched_concepts(concepts, line):
            held[i] += 1
    return [(2.0 if is_code(concept[0]) else 1.0) * math.log(1.0 + (len(lines) + 0.5) / (n + 0.5))
            for concept, n in zip(concepts, held)]


def _value(
    evidence: Evidence, hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float], asked: set[int]
) -> str | None:
    """The text of the block that follows ``hit`` on its page as a value follows its label: the
    nearest one right of it on its row, or under it in its column, inside an image shown, and not
    another label of the same kind (one that holds the question's words ``asked`` the hit holds);
    of those, the one that holds most of the rest of the question.
    A value right of the label is read on along its row (``rows.row_after``), cell after cell
    while they are shown: a schedule's or a log's row after its first column."""
    x0, y0, x1, y1 = hit.bbox
    height = y1 - y0
    if height <= 0 or not small(hit.bbox) or hit.kind == "title_block":
        return None
    shown = [image.bbox for image in evidence.images
             if image.document_id == hit.document_id and image.page == hit.page and image.bbox]
    if not shown:
        return None

    def readable(block: Hit) -> bool:
        return (block.block_id != hit.block_id and block.kind != "title_block" and small(block.bbox)
                and any(_inside(block.bbox, box) for box in shown) and not asked & matched_concepts(concepts, block.text))

    region = [x0, y0 - height, min(1.0, x1 + RIGHT_REACH * height), min(1.0, y1 + BELOW_REACH * height)]
    try:
        blocks = evidence.library.blocks_in_region(hit.document_id, hit.page, region)
    except AizoomdocError:  # the store is away: the label alone
        return None
    best: tuple[tuple[float, float], Hit] | None = None
    for block in blocks:
        bx0, by0, bx1, by1 = block.bbox
        if not readable(block):
            continue
        if bx0 >= x1 - EPS and on_row(block.bbox, hit.bbox):
            distance = (bx0 - x1) / height
        elif by0 >= y1 - EPS and _overlap(bx0, bx1, x0, x1) > 0:
            distance = 2 * (by0 - y1) / height  # a row to the right is likelier the value than a line below
        else:
            continue
        # More of the question first (under a schedule's heading, the row that names the item asked
        # about, not the header row nearer it), then the nearest; a grid bubble's letter is no value.
        key = (-_weight(block.text, concepts, weights), distance)
        if len(_flat(block.text)) >= MIN_VALUE and (best is None or key < best[0]):
            best = (key, block)
    if best is None:
        return None
    row = [cell.block_id for cell in evidence.row(hit)]
    if best[1].block_id not in row:
        return _flat(best[1].text)
    cells: list[str] = []
    for cell in evidence.row(hit)[row.index(best[1].block_id):]:
        if not readable(cell) or len(" | ".join(cells)) >= ITEM_CHARS:
            break
        cells.append(_flat(cell.text))
    return " | ".join(cells)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _inside(bbox: Sequence[float], region: Sequence[float]) -> bool:
    return (region[0] <= bbox[0] + EPS and region[1] <= bbox[1] + EPS
            and bbox[2] <= region[2] + EPS and bbox[3] <= region[3] + EPS)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


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
        text = _row(lines, index) if CELL in lines[index] else _passage(lines, index, concepts, weights)
    score = _weight(text, concepts, weights)
    if not _tells(text, concepts):
        score /= 4  # it only repeats the question (the code asked about, alone): anything else first
    return text, score


def _fields(lines: list[str], scored: list[tuple[float, int]], language: str) -> str:
    """A title block's fields that the question names, best first, then the sheet's code and title,
    as "field: value; field: value" within ``ITEM_CHARS``."""
    order = [i for w, i in sorted(scored, key=lambda s: (-s[0], s[1])) if w > 0]
    # Then what names the sheet (its first fields: code, number, title), or, when the question
    # named no field ("what does the stamp say?"), every field.
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
    """Whether ``text`` holds a word or number that is not one of the question's."""
    asked = {term for concept in concepts for term in concept}
    return any(not asked.intersection(token_terms(token)) for token in tokens(text.replace("…", "")))


def _weight(line: str, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> float:
    return sum(weights[i] for i in matched_concepts(concepts, line))


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
    """A table row after its table's header (the first row), each cut to fit."""
    header = next((i for i, line in enumerate(lines) if CELL in line), index)
    row = lines[index]
    if header == index:
        return _cut(row)
    head = _cut(lines[header], HEADER_CHARS)
    return f"{head} — {_cut(row, max(ITEM_CHARS - len(head), ITEM_CHARS // 2))}"


def _passage(lines: list[str], index: int, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> str:
    """A short block whole (a drawing's row of cells, a label with its value), else the matched line
    with the lines after it, and before it while there is room; in a long line, the words around
    the match."""
    if len(" ".join(lines)) <= ITEM_CHARS:
        return " ".join(lines)
    line = lines[index]
    if len(line) > ITEM_CHARS:
        return _around(line, concepts, weights)
    first, last = index, index
    size = len(line)
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
