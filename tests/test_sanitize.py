"""Untrusted names and texts become safe to store and to use as keys."""

from __future__ import annotations

import json

import pytest

from aizoomdoc_core.errors import InvalidInput
from aizoomdoc_core.sanitize import MAX_KEY_PART, clean_text, clean_value, parse_id, safe_key_part
from aizoomdoc_core.storage.blobs import chat_image_key, document_key

CHAT = "0b7d3c1e-7a4f-4b8e-9a51-3f6f2b1c9d20"


def test_clean_text_makes_undecodable_bytes_and_nul_safe() -> None:
    broken = b"\xff\xfeplan \x00A-101".decode("utf-8", "surrogateescape")
    assert clean_text(broken) == "\ufffd\ufffdplan A-101"
    assert clean_text("Лист\r\n2\tАР1") == "Лист\r\n2\tАР1"
    assert clean_text("a\n b", keep_newlines=False) == "a b"


def test_clean_text_makes_lone_surrogates_safe() -> None:
    """A JSON ``\\ud800`` escape decodes to a surrogate that UTF-8 cannot encode at all; it becomes
    U+FFFD like an undecodable byte, and a character outside the BMP is left alone."""
    assert clean_text(json.loads('"A\\ud800-101 \\udfff\\udc7f end"')) == "A\ufffd-101 \ufffd\ufffd end"
    assert clean_text("\U0001F600 \ud83d") == "\U0001F600 \ufffd"
    assert clean_text(b"\xffok".decode("utf-8", "surrogateescape")) == "\ufffdok"  # undecodable CLI bytes as before
    assert clean_value({"\udbff key": ["v\ud800"]}) == {"\ufffd key": ["v\ufffd"]}


def test_clean_text_cut_is_visible() -> None:
    assert clean_text("x" * 500, max_length=200) == "x" * 199 + "…"


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "/etc/passwd", "..", ".", "a/../../b", "..\\..\\win.ini", "\x00\x1f", ""],
)
def test_no_name_escapes_its_prefix(name: str) -> None:
    part = safe_key_part(name)
    assert "/" not in part and "\\" not in part and not part.startswith(".") and part
    assert chat_image_key(CHAT, name).startswith(f"chats/{CHAT}/images/")
    assert chat_image_key(CHAT, name).count("/") == 3


def test_long_unicode_names_keep_their_extension() -> None:
    part = safe_key_part("Чертёж " * 50 + ".pdf")
    assert len(part) <= MAX_KEY_PART and part.endswith(".pdf") and part.startswith("Чертёж")


def test_ids_must_be_uuids() -> None:
    assert parse_id(CHAT.upper()) == CHAT
    with pytest.raises(InvalidInput, match="not a valid chat id: '1; DROP TABLE chats'"):
        parse_id("1; DROP TABLE chats", "chat id")
    with pytest.raises(InvalidInput):
        document_key("../x", "a.pdf")
