"""Making untrusted strings safe to store and to use as paths or object keys.

Titles, messages and file names come from people, from PDFs and from the command line (where bytes
that are not UTF-8 arrive as lone surrogates), and from JSON files (where a ``\\ud800`` escape decodes
to a lone surrogate too). PostgreSQL refuses NUL characters and invalid UTF-8,
and a file name like ``../../etc/passwd`` must never leave its folder, so every such string passes
through here before it is written anywhere.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from .errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Surrogates that no undecodable byte stands for (``surrogateescape`` uses U+DC80..U+DCFF only):
# a JSON escape such as ``\\ud800`` decodes to one. They cannot be encoded as UTF-8 at all.
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_KEY_UNSAFE = re.compile(r"[^\w.\-+=@() ]", re.UNICODE)
MAX_KEY_PART = 120  # characters; long enough for real drawing names, short enough for any file system


def clean_text(value: str, *, max_length: int | None = None, keep_newlines: bool = True) -> str:
    """``value`` as valid UTF-8 text without NUL or other control characters.

    Undecodable bytes (surrogate escapes) and any other lone surrogate become U+FFFD. With
    ``max_length`` the text is cut there and ends with an ellipsis, so a cut is visible rather than
    silent.
    """
    value = _LONE_SURROGATE.sub("\ufffd", value)
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL.sub("", value)
    if not keep_newlines:
        value = " ".join(value.split())
    if max_length is not None and len(value) > max_length:
        value = value[: max_length - 1].rstrip() + "…"
    return value


def clean_value(value: Any) -> Any:
    """``value`` with every string in it (keys too) passed through ``clean_text``, for JSON that
    was read from a file: a ``\\u0000`` escape decodes to a NUL that PostgreSQL refuses."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    return value


def safe_key_part(name: str) -> str:
    """One path segment or object-key segment that cannot escape its folder or prefix.

    Separators, ``..``, control characters and anything outside a conservative set become ``_``;
    leading dots are dropped (no hidden files, no ``..``); the result is never empty and at most
    ``MAX_KEY_PART`` characters, keeping the file extension when it has to cut.
    """
    name = clean_text(name, keep_newlines=False)
    name = _KEY_UNSAFE.sub("_", name).strip(" ")
    name = name.lstrip(".")
    if len(name) > MAX_KEY_PART:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_KEY_PART - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_KEY_PART]
    return name or "_"


def parse_id(value: str, what: str = "id") -> str:
    """``value`` as a canonical UUID string, or ``InvalidInput`` naming what was expected."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        shown = clean_text(str(value), max_length=60, keep_newlines=False)
        raise InvalidInput(f"not a valid {what}: {shown!r}") from None
