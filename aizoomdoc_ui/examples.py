"""Example questions for a new chat, made from the user's own documents: their sheet codes, or
their names when no title block gave a code. An example names its document, so clicking it asks
in a chat scoped to that document."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

from aizoomdoc_core.app import Aizoomdoc

from .texts import UiTexts

EXAMPLES = 3
DOCUMENTS = 3  # the newest documents the examples are taken from


@dataclass(frozen=True)
class Example:
    question: str
    document_id: str


def examples(app: Aizoomdoc, t: UiTexts) -> list[Example]:
    """Up to ``EXAMPLES`` questions about the newest documents: the first of each document in turn,
    each document starting with another kind of question, so the few shown differ."""
    documents = sorted(app.list_documents(), key=lambda d: d.created_at, reverse=True)[:DOCUMENTS]
    codes = app.sheet_codes([d.id for d in documents])
    per_document: list[list[Example]] = []
    for index, document in enumerate(documents):
        sheets = codes.get(document.id) or []
        if sheets:
            code = sheets[min(1, len(sheets) - 1)]  # past the cover when there is more: its fields are on every sheet
            turn = index % len(t.sheet_examples)
            kinds = t.sheet_examples[turn:] + t.sheet_examples[:turn]
            per_document.append([Example(q.format(code=code), document.id) for q in kinds])
        else:
            per_document.append([Example(t.document_example.format(name=document.name), document.id)])
    return [e for row in zip_longest(*per_document) for e in row if e][:EXAMPLES]
