"""Where a follow-up looks first: the pages the chat's previous answer was built on.

People continue a chat the way they talk ("And the ceiling?", «А QF3?»): the question names no
document, and only the previous turn says which sheet it is about. Searched over the whole library
such a question matches everything and nothing, so a follow-up is searched first in the documents
the previous answer cited, with hits on the pages it cited ahead, and only then everywhere else.
A question that names another document (its file name's words) among those its own search found was
not a follow-up of the earlier sheet: it is searched as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..library import Library
from ..models import Message
from ..question import Question
from ..search import Hit, names_document


@dataclass(frozen=True)
class Focus:
    """The (document id, page) pairs the previous answer cited, in the order it cited them."""

    pages: tuple[tuple[str, int], ...]

    @property
    def documents(self) -> list[str]:
        return list(dict.fromkeys(document for document, _ in self.pages))

    @classmethod
    def of(cls, earlier: list[Message]) -> Focus | None:
        """The last answer's citations, or None when the chat has no cited answer yet."""
        for message in reversed(earlier):
            if message.role == "assistant" and message.citations:
                cited = [(c.document_id, c.page) for c in message.citations if c.document_id and c.page]
                if cited:
                    return cls(tuple(dict.fromkeys(cited)))
        return None


def follow_up_hits(
    library: Library, question: Question, earlier: str, focus: Focus, everywhere: list[Hit], scope: list[str] | None,
    top: int,
) -> list[Hit]:
    """``everywhere`` (the question's own hits) behind the hits of the previous answer's documents,
    searched with the question before (``earlier``) as its context: "what diameter?" after a question
    about F-44 is about F-44's row."""
    documents = [d for d in focus.documents if scope is None or d in scope]
    if not documents or _names_another(question, everywhere, documents):
        return everywhere
    near = library.search(question, top=top, document_ids=documents, context=earlier)
    cited = set(focus.pages)
    first = sorted(near, key=lambda hit: (hit.document_id, hit.page) not in cited)  # stable: rank kept
    merged: dict[tuple[str, str], Hit] = {}
    for hit in first + everywhere:
        merged.setdefault((hit.document_id, hit.block_id), hit)
    return list(merged.values())[:top]


def _names_another(question: Question, everywhere: list[Hit], documents: list[str]) -> bool:
    """Whether the question names a document outside ``documents`` among those its own search found:
    a document it names ranks by its name (``search``), so it is there if it holds anything."""
    return any(names_document(question.text, hit.document_name) for hit in everywhere if hit.document_id not in documents)
