"""Small readers every earlier-pipeline format shares: text, numbers, boxes, and the refusal."""

from __future__ import annotations

import math
import re
from typing import Any

from ..extracted import FULL_PAGE

MAX_PAGE = 100_000  # a larger page number is corrupt data, not a drawing set
_MARKER = re.compile(r"BLOCK:\s*\S+")


class Malformed(Exception):
    """Why a file is not the format it claims; ``extract_previous`` turns it into ``InvalidInput``."""


def decode(data: bytes) -> str:
    """UTF-8 text (all pipeline outputs are UTF-8); anything else is refused rather than guessed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise Malformed("the file ends inside a character (cut short?)") from None
        raise Malformed(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    if "\x00" in text:
        raise Malformed("binary data (NUL characters)")
    return text


def squash(text: str) -> str:
    """One line with single spaces: OCR output is full of indentation and hard wraps."""
    return " ".join(text.split())


def plain_lines(text: str) -> str:
    """Plain text kept a line per line, each squashed, empty lines dropped."""
    return "\n".join(filter(None, (squash(line) for line in text.splitlines())))


def drop_markers(text: str) -> str:
    """Text without the pipeline's ``BLOCK: <id>`` marker lines: it prints them on the page to match
    OCR output to blocks, and the OCR sometimes reads one back into a block's text."""
    if "BLOCK:" not in text:
        return text
    return "\n".join(line for line in text.split("\n") if not _MARKER.fullmatch(line))


def page_number(value: object, where: str) -> int:
    """A 1-based page number as the pipeline wrote it, or the reason it is not one."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PAGE:
        raise Malformed(f"{where}: page {value!r} is not a number from 1 to {MAX_PAGE}")
    return value


def finite_number(value: object) -> float | None:
    """A finite JSON number as float; None for anything else (strings, booleans, NaN, 1e999)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def bbox(value: object) -> list[float]:
    """``coords_norm`` clamped to 0..1 and rounded; the whole page when missing or not a box."""
    if not isinstance(value, list) or len(value) != 4:
        return list(FULL_PAGE)
    numbers = [n for n in map(finite_number, value) if n is not None]
    if len(numbers) != 4:
        return list(FULL_PAGE)
    x0, y0, x1, y1 = (round(min(1.0, max(0.0, v)), 5) for v in numbers)
    if x1 <= x0 or y1 <= y0:
        return list(FULL_PAGE)
    return [x0, y0, x1, y1]


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Metadata without empty entries, so every block's dict stays small."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}
