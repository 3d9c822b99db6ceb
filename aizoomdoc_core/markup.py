"""Untrusted strings as Markdown that shows them exactly as written, and model answers with only
their formatting kept.

Streamlit renders Markdown almost everywhere (bodies, captions, titles, labels of buttons and
expanders, toasts), and so does any viewer of an exported ``chat.md``. Text that came from a drawing,
a file name, a question or a title would otherwise become markup there: ``![x](http://host/p.png)``
makes the browser fetch an outside URL (a beacon), ``$...$`` becomes a formula, ``:red[...]`` and
``:material/...:`` become colours and icons, ``1:100:`` loses its ``:100:`` to an emoji. So:

- ``literal(text)`` is Markdown whose rendering is ``text`` itself: every ASCII punctuation mark is
  backslash-escaped (CommonMark allows that for all of them), a colon is followed by an invisible
  word joiner (emoji shortcodes are matched on the parsed text, after escapes are gone), leading
  spaces cannot open a code block, and line breaks stay line breaks.
- ``answer(markdown)`` is a model's answer parsed by a real CommonMark parser (markdown-it-py) and
  written out again with its structure (paragraphs, headings, lists, emphasis, code, tables, quotes)
  and every piece of text through ``literal``. Images are dropped, links become their text, raw HTML
  becomes text: the app shows its own evidence beside the answer, so nothing inside an answer ever
  needs to load or link anything. Code keeps no language, so no renderer (Mermaid) runs on it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

WORD_JOINER = "\u2060"  # zero-width, no break: splits ``:name:`` so no emoji shortcode matches
_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)


def literal(text: str) -> str:
    """Markdown that displays ``text`` as written: no formatting, link, image, formula or icon."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _PUNCTUATION.sub(r"\\\1", text).replace(":", ":" + WORD_JOINER)
    # Four leading spaces would open a code block; no-break spaces look the same and open nothing.
    text = _LEADING_SPACE.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), text)
    return "  \n".join(text.split("\n"))


def inline(text: str) -> str:
    """``literal`` on one line: for labels, captions and titles, which a line break would end."""
    return literal(" ".join(text.split()))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def message(text: str, *, from_model: bool) -> str:
    """A chat message as Markdown: a model's formatted (``answer``), anything else ``literal``."""
    return answer(text) if from_model else literal(text)


def answer(markdown: str) -> str:
    """A model's Markdown answer with its formatting kept and nothing that loads or links."""
    return _Writer().blocks(_parser().parse(markdown)).strip()


class _Writer:
    """Writes markdown-it's token stream back as Markdown, every text through ``literal``."""

    def __init__(self) -> None:
        self.lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
        self.item_started = False  # a list item opened and its marker is not written yet

    def blocks(self, tokens: list[Token]) -> str:
        out: list[str] = []
        quote = 0
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            prefix = "> " * quote
            if kind == "heading_open":
                out.append(f"{prefix}{'#' * int(token.tag[1])} {self.inline(tokens[index + 1])}\n\n")
                index += 3
                continue
            if kind == "paragraph_open":
                text = self.inline(tokens[index + 1]).replace("\n", "\n" + self._indent() + prefix)
                out.append(f"{prefix}{self._item_marker()}{text}\n" + ("" if self._tight(token) else "\n"))
                index += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append([int(token.attrGet("start") or 1)] if kind == "ordered_list_open" else [])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                out.append("\n")
            elif kind == "list_item_open":
                self.item_started = True
            elif kind == "blockquote_open":
                quote += 1
            elif kind == "blockquote_close":
                quote -= 1
                out.append("\n")
            elif kind in ("fence", "code_block"):
                out.append(self._code_block(token.content, prefix))
            elif kind == "hr":
                out.append(f"{prefix}---\n\n")
            elif kind == "html_block":
                out.append(f"{prefix}{literal(token.content.strip())}\n\n")
            elif kind == "table_open":
                index = self._table(tokens, index, out, prefix)
                continue
            index += 1
        return "".join(out)

    def _item_marker(self) -> str:
        """The list marker before the first paragraph of an item, indentation before the others."""
        if not self.lists:
            return ""
        indent = "   " * (len(self.lists) - 1)
        if not self.item_started:
            return indent + "   "
        self.item_started = False
        current = self.lists[-1]
        if current:
            current[0] += 1
            return f"{indent}{current[0] - 1}. "
        return f"{indent}-  "

    def _indent(self) -> str:
        return "   " * len(self.lists)

    @staticmethod
    def _tight(token: Token) -> bool:
        return token.hidden  # markdown-it hides the paragraphs of tight lists

    def _code_block(self, content: str, prefix: str) -> str:
        fence = "`" * max(3, _longest_run(content, "`") + 1)
        body = content if content.endswith("\n") else content + "\n"
        lines = "".join(prefix + line for line in body.splitlines(keepends=True))
        return f"{prefix}{fence}\n{lines}{prefix}{fence}\n\n"

    def _table(self, tokens: list[Token], index: int, out: list[str], prefix: str) -> int:
        rows: list[list[str]] = []
        index += 1
        while tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                rows[-1].append(self.inline(token).replace("|", "\\|").replace("\n", " "))
            index += 1
        if rows:
            width = max(len(row) for row in rows)
            rows = [row + [""] * (width - len(row)) for row in rows]
            lines = [rows[0], ["---"] * width, *rows[1:]]
            out.append("".join(f"{prefix}| " + " | ".join(row) + " |\n" for row in lines) + "\n")
        return index + 1

    def inline(self, token: Token) -> str:
        """An inline token's children as Markdown: emphasis and code kept, the rest as text."""
        out: list[str] = []
        for child in token.children or []:
            kind = child.type
            if kind == "text":
                out.append(literal(child.content))
            elif kind == "code_inline":
                fence = "`" * (_longest_run(child.content, "`") + 1)
                pad = " " if child.content.startswith("`") or child.content.endswith("`") else ""
                out.append(f"{fence}{pad}{child.content}{pad}{fence}")
            elif kind in ("strong_open", "strong_close"):
                out.append("**")
            elif kind in ("em_open", "em_close"):
                out.append("*")
            elif kind in ("s_open", "s_close"):
                out.append("~~")
            elif kind == "softbreak":
                out.append("\n")
            elif kind == "hardbreak":
                out.append("  \n")
            elif kind == "html_inline":
                out.append(literal(child.content))
            # link_open / link_close write nothing (the link's text stays, as text); an image,
            # its alt text with it, is a single token and is dropped
        return "".join(out)


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)
