"""Questions about a set's completeness ("which sheets are missing?", «каких листов нет в
комплекте?»), answered from the drawing list checked against the sheets (``sheet_index``).

Search alone cannot answer them: a missing sheet is text nowhere. So such a question checks the
documents it is about (the chat's, else those of its best hits), shows the drawing list as its
evidence, and the answer without a model says what disagrees, item by item, citing the list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import AizoomdocError
from ..library import Library
from ..models import Citation
from ..search import Hit
from ..sheet_index import SheetCheck, SheetRow
from .evidence import Evidence
from .texts import Texts

# A question about the list or the set's completeness, and about sheets or drawings.
_ASKS = re.compile(
    r"\b(?:missing|absent|lacking|not\s+listed|unlisted|complete|completeness|drawing\s+(?:list|index)"
    r"|sheet\s+(?:list|index)|index\s+of\s+(?:sheets|drawings)|list\s+of\s+(?:sheets|drawings))"
    r"|нет\s+в\s+(?:комплекте|ведомости)|недоста[её]т|отсутству|не\s+хватает|ведомост\w*\s+(?:рабочих\s+)?чертеж"
    r"|ведомост\w*\s+листов|комплектн|состав\w*\s+комплект|каких\s+листов\s+нет",
    re.IGNORECASE,
)
_SHEETS = re.compile(r"\b(?:sheets?|drawings?|set)\b|лист|чертеж|чертёж|комплект|ведомост", re.IGNORECASE)
CANDIDATES = 3  # documents of the best hits checked when the chat names none
ITEMS = 12  # items a line of the answer names, then how many more


@dataclass(frozen=True)
class Checked:
    """One document's check, and the blocks that head its list (cited and shown)."""

    check: SheetCheck
    headings: list[Hit]


def asks_for_sheets(question: str) -> bool:
    return bool(_ASKS.search(question) and _SHEETS.search(question))


def sheet_checks(library: Library, question: str, scope: Sequence[str] | None, hits: Sequence[Hit]) -> list[Checked]:
    """The checks a sheets question is about: each document of the chat (else of its best hits)
    whose drawing list could be read. Empty for any other question."""
    if not asks_for_sheets(question):
        return []
    documents = list(scope or dict.fromkeys(h.document_id for h in hits))[:CANDIDATES]
    found = []
    for document_id in documents:
        try:
            check = library.sheet_check(document_id)
        except AizoomdocError:  # deleted since, or its store is away: the other documents answer
            continue
        if check.index_pages:
            found.append(Checked(check, library.list_headings(check)))
    return found


def sheets_answer(texts: Texts, checks: Sequence[Checked], evidence: Evidence) -> tuple[str, list[Citation]]:
    """What each checked list says against its sheets, disagreements first, citing the list."""
    lines = []
    for checked in checks:
        check = checked.check
        cited = "".join(f" [{evidence.add_hit(h)}]" for h in checked.headings[:1])
        pages = ", ".join(map(str, check.index_pages))
        rows = {status: [r for r in check.rows if r.status == status] for status in check.counts()}
        listed = sum(n for status, n in check.counts().items() if status != "not listed")
        if not set(rows) - {"listed"}:
            lines.append(texts.sheets_agree.format(name=check.document_name, count=listed, pages=pages) + cited)
            continue
        lines.append(texts.sheets_list.format(name=check.document_name, count=listed, pages=pages) + cited)
        if not rows.get("missing") and not rows.get("not found"):
            lines.append(texts.sheets_all_present)
        if rows.get("missing"):
            lines.append(texts.sheets_missing.format(items=_items(rows["missing"], texts, listed_title=True)))
        if rows.get("not found"):
            unread = ", ".join(map(str, check.unread_pages))
            lines.append(texts.sheets_not_found.format(pages=unread, items=_items(rows["not found"], texts, listed_title=True)))
        if rows.get("not listed"):
            lines.append(texts.sheets_not_listed.format(items=_items(rows["not listed"], texts)))
        if rows.get("title differs"):
            lines.append(texts.sheets_differ.format(items="; ".join(
                texts.sheets_titles.format(code=r.code, listed=r.listed_title, own=r.sheet_title, page=r.page)
                for r in rows["title differs"][:ITEMS]) + _more(rows["title differs"], texts)))
        if rows.get("revision differs"):
            lines.append(texts.sheets_revisions_differ.format(items="; ".join(
                texts.sheets_revision.format(code=r.code, listed=r.listed_revision, own=r.revision, page=r.page)
                for r in rows["revision differs"][:ITEMS]) + _more(rows["revision differs"], texts)))
    text = "\n".join([*lines, "", texts.sheets_how])
    return text, evidence.citations(text)


def _items(rows: list[SheetRow], texts: Texts, *, listed_title: bool = False) -> str:
    shown = []
    for row in rows[:ITEMS]:
        title = row.listed_title if listed_title else row.sheet_title
        where = f" ({texts.page} {row.page})" if row.page else ""
        shown.append(f"{row.code} «{title}»{where}" if title else f"{row.code}{where}")
    return "; ".join(shown) + _more(rows, texts)


def _more(rows: list[SheetRow], texts: Texts) -> str:
    return texts.sheets_more.format(count=len(rows) - ITEMS) if len(rows) > ITEMS else ""
