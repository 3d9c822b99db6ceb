"""Strings from files and people shown as written; a model's answer formatted, never loading or linking.

Checked with a CommonMark parser (what Streamlit and Markdown viewers build on): the Markdown we
produce must parse to the text we were given, with no link, image, HTML or code token in it. The
Streamlit-only syntaxes (``$...$``, ``:red[...]``, ``:material/...:``, emoji shortcodes) are also
checked in Chromium by tests/test_browser_hostile.py.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from aizoomdoc_core import markup

PARSER = MarkdownIt("gfm-like")  # GFM: tables, strikethrough and bare-URL autolinks (linkify) on

HOSTILE = [
    "![x](http://127.0.0.1:9/steal.png)",
    "[click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)",
    "<img src=http://127.0.0.1:9/a.png onerror=alert(1)> <script>alert(1)</script>",
    "$x^2$ and $$\\int f$$",
    ":red[ВНИМАНИЕ] :material/warning: :smile: масштаб 1:100:",
    "# not a heading\n- not a list\n1. not numbered\n> not a quote\n    not code\n| a | b |\n|---|---|",
    "**not bold** _not italic_ ~~not struck~~ `not code` \\*escaped\\* &amp; &#x41;",
    "http://www.example.com www.example.org mail@example.com",
    "[B1] А-101 ⌀57×3,5 «Штамп» 1:100 5 мм",
    "line one\nline two\n\nparagraph\r\nwindows",
]


def _walk(tokens):  # every token, inline children included
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


def _shown_text(markdown: str) -> str:
    """What a reader sees: the text content of the rendered Markdown, breaks as newlines."""
    parts = []
    for token in _walk(PARSER.parse(markdown)):
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type == "paragraph_close":
            parts.append("\n\n")
    return "".join(parts)


def _normal(text: str) -> str:
    text = text.replace(markup.WORD_JOINER, "").replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n+", "\n", text).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_text_is_shown_exactly_as_written(text: str) -> None:
    rendered = markup.literal(text)
    kinds = {token.type for token in _walk(PARSER.parse(rendered))}
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text", "softbreak", "hardbreak"}, kinds
    assert _normal(_shown_text(rendered)) == _normal(text)


def test_streamlit_shortcodes_and_formulas_are_broken_up() -> None:
    rendered = markup.literal(":smile: :material/home: :red[x] 1:100: $a$")
    assert not re.search(r":[\w+-]+:", rendered), "an emoji shortcode or icon would still match"
    assert not re.search(r"(?<!\\)\$", rendered), "an unescaped dollar would open a formula"


def test_inline_keeps_one_line() -> None:
    assert "\n" not in markup.inline("a\nb\r\nc") and _normal(_shown_text(markup.inline("a\nb"))) == "a b"


def test_a_model_answer_keeps_its_formatting() -> None:
    answer = (
        "## Pipe\n\nThe pipe is **DN 100** and *insulated* [B3].\n\n- first\n- second `A-101`\n\n"
        "1. one\n2. two\n\n| code | value |\n|---|---|\n| QF1 | 16 A |\n\n```\nraw <b>\n```\n\n> a note"
    )
    tokens = list(_walk(PARSER.parse(markup.answer(answer))))
    kinds = [token.type for token in tokens]
    for kind in ("heading_open", "strong_open", "em_open", "bullet_list_open", "ordered_list_open",
                 "table_open", "fence", "blockquote_open", "code_inline"):
        assert kind in kinds, kind
    shown = _shown_text(markup.answer(answer))
    assert "[B3]" in shown and "DN 100" in shown and "QF1" in shown and "16 A" in shown
    fence = next(t for t in tokens if t.type == "fence")
    assert fence.content == "raw <b>\n" and fence.info == ""


@pytest.mark.parametrize("text", HOSTILE)
def test_a_model_answer_never_links_loads_or_runs_anything(text: str) -> None:
    tokens = list(_walk(PARSER.parse(markup.answer(f"Answer: {text}\n\n```mermaid\nclick A http://x\n```"))))
    kinds = {token.type for token in tokens}
    assert not kinds & {"image", "link_open", "html_inline", "html_block"}, kinds
    assert all(token.info == "" for token in tokens if token.type == "fence"), "no renderer runs on code"


def test_a_model_answer_shows_what_a_link_said_and_drops_images() -> None:
    shown = _shown_text(markup.answer("See [the drawing](http://127.0.0.1:9/x) and ![logo](http://127.0.0.1:9/l.png)."))
    assert "the drawing" in shown and "logo" not in shown and "127.0.0.1" not in shown
