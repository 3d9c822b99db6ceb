"""Codes a question names that nothing in its scope holds.

An engineer who asks for ``QF7`` or «ВРУ-3» wants that item; when no sheet in the chat's documents
prints it, the closest matches must not pass for it. So, before answering, each code of the
question (a term mixing letters and digits, or joined by ``/ . - +``: ``terms.is_code``) is
searched alone in the scope; a code search finds only blocks that hold that code whole (``В2``
never ``В21``), so a code with no hit is printed nowhere there. The answer says so first.
"""

from __future__ import annotations

import re

from ..library import Library
from ..question import Question
from ..terms import is_code, query_concepts, tokens

_EDGES = re.compile(r"^[^\w]+|[^\w]+$")  # the punctuation around a word: «QF7», (В2),


def named_codes(question: Question) -> list[str]:
    """The codes of the question as it wrote them, in order, each once.

    A code without a digit counts only when written in capitals (``АР/КР``): in lower case, words
    joined by a slash are words ("hot/cold"), which search finds or not as words."""
    found: dict[str, None] = {}
    for word in question.text.split():
        for token in tokens(word):  # normalized (lower case, look-alike letters folded): shown as written
            concepts = query_concepts(token)
            written = _EDGES.sub("", word) or token
            if concepts and len(concepts[0]) == 1 and is_code(concepts[0][0]) and _looks_coded(written):
                found.setdefault(written, None)
    return list(found)


def _looks_coded(written: str) -> bool:
    return any(c.isdigit() for c in written) or written.isupper()


def missing_codes(library: Library, question: Question, scope: list[str] | None) -> list[str]:
    """The question's codes that no block of the scope (None: every document) holds."""
    return [code for code in named_codes(question)
            if not library.search(code, top=1, document_ids=scope, meaning=False)]
