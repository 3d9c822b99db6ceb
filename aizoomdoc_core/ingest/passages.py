"""A long block cut into passages: a few paragraphs of notes, or a few rows of a table under its
title and header, each stored, searched, embedded and quoted as a block of its own.

An OCR'd explanatory note or a cover sheet's general notes arrives as one block of several
thousand characters. Whole, it loses every search to the short blocks that hold the same words
(BM25 divides a match by the block's length, and a set's title blocks repeat the question's words
on every sheet); its vector is made of its first 512 tokens only; and an answer quoting it reads
its first lines. Cut into passages of about ``PASSAGE_CHARS``, the paragraph that answers is a
short block that search ranks, the model embeds and the quote reads whole.

A passage never cuts a line (a paragraph, a table row), unless the line alone is longer than two
passages: then it is cut after a sentence. A table's rows keep their meaning away from the top of
the table: every passage of a table starts with the table's title (the line over its header) and
its header row, as the table's first passage does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PASSAGE_CHARS = 600  # about this many characters a passage
LONG_BLOCK = 1000  # blocks longer than this are cut
CELL = " | "  # between a table row's cells, as every extractor writes them
TITLE_CHARS = 160  # a line over a table's header at most this long is the table's title
# A sentence ends at a full stop or semicolon before a capital, a digit or a quote: never inside
# «см. лист 5», "min. 3/16"".
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-ZА-ЯЁ0-9«\"(])")
_PASSAGE_KEY = re.compile(r"\.\d+$")


def passage_key(key: str, n: int) -> str:
    """The key of a block's ``n``-th passage (from 1): the block's own for the first, ``KEY.n`` after."""
    return key if n == 1 else f"{key}.{n}"


def block_of(key: str) -> str:
    """The key of the block a passage was cut from (a block that was not cut: its own)."""
    return _PASSAGE_KEY.sub("", key)


@dataclass(frozen=True)
class Passage:
    text: str
    lines: tuple[int, int]  # the first and last of the block's lines it holds (its own, not the repeated header)


def passages(text: str) -> list[Passage]:
    """``text`` (one block's) as passages, in order; a short text is one passage, itself."""
    if len(text) <= LONG_BLOCK:
        return [Passage(text, (0, text.count("\n")))]
    lines = text.split("\n")
    pieces = [(i, piece) for i, line in enumerate(lines) for piece in _pieces(line)]
    found: list[Passage] = []
    context: list[str] = []  # the current table's title and header row
    own: list[tuple[int, str]] = []  # the passage's own lines, with their line numbers
    lead: list[str] = []  # what a passage repeats of its table before its own lines
    size = 0
    for position, (number, piece) in enumerate(pieces):
        row = CELL in piece
        header = row and (position == 0 or CELL not in pieces[position - 1][1])
        if header:  # a table starts: its title is the short line over it, if any
            context = [pieces[position - 1][1]] if position and _is_title(pieces, position - 1) else []
        elif not row:
            context = []
        # A table's title goes with its header and first row, not at the end of the passage before.
        coming = [piece] + ([p for _, p in pieces[position + 1:position + 3]] if _is_title(pieces, position) else [])
        if own and size + sum(len(p) + 1 for p in coming) > PASSAGE_CHARS + 1:
            found.append(_passage(lead, own))
            own, size = [], 0
        if not own:  # a passage inside a table starts with its title and header
            lead = list(context) if row else []
            size = sum(len(line) + 1 for line in lead)
        if header:
            context.append(piece)
        own.append((number, piece))
        size += len(piece) + 1
    if own:
        found.append(_passage(lead, own))
    return found


def _is_title(pieces: list[tuple[int, str]], position: int) -> bool:
    """Whether the piece at ``position`` is a table's title: a short line over the table's header row."""
    piece = pieces[position][1]
    return (CELL not in piece and len(piece) <= TITLE_CHARS and position + 1 < len(pieces)
            and CELL in pieces[position + 1][1])


def _passage(lead: list[str], own: list[tuple[int, str]]) -> Passage:
    return Passage("\n".join([*lead, *(piece for _, piece in own)]), (own[0][0], own[-1][0]))


def _pieces(line: str) -> list[str]:
    """A line, or a line longer than two passages cut after its sentences into passage-sized pieces."""
    if len(line) <= 2 * PASSAGE_CHARS:
        return [line]
    pieces: list[str] = []
    for sentence in _SENTENCE.split(line):
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= PASSAGE_CHARS:
            pieces[-1] = f"{pieces[-1]} {sentence}"
        else:
            pieces.append(sentence)
    return pieces
