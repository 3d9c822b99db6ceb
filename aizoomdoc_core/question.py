"""A question as a person asked it, cleaned once: every layer it passes takes it as it is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidInput
from .sanitize import clean_text

MAX_QUESTION = 4000
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def language(text: str) -> str:
    """"ru" when ``text`` is written in Cyrillic, else "en": the answer follows the question."""
    letters = [c for c in text if c.isalpha()]
    cyrillic = sum(1 for c in letters if _CYRILLIC.match(c))
    return "ru" if letters and cyrillic * 2 >= len(letters) else "en"


@dataclass(frozen=True)
class Question:
    """The cleaned text of a question (made only by ``parse``) and the language it is in."""

    text: str

    @classmethod
    def parse(cls, raw: str) -> Question:
        text = clean_text(raw, max_length=MAX_QUESTION).strip()
        if not text:
            raise InvalidInput("the question is empty")
        return cls(text)

    @property
    def language(self) -> str:
        return language(self.text)
