"""HTML as plain text, safely: tags gone, entities decoded, paragraphs and table rows as lines.

Every HTML the pipeline wrote (whole OCR pages, fragments inside JSON, inline tags in Markdown) is
read here. ``html.parser`` rescans to the end of the input for each construct it cannot close, so
the input is first reduced to complete tags (``sanitize_html``) to keep the work linear.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .common import plain_lines, squash

# A tag html.parser will read exactly as written: name, attributes with balanced quotes, no < or >
# inside. Every part stops at the next < or >, so trying it at each < costs linear time in total.
_TAG = re.compile(
    r"""</?[A-Za-z][\w:.-]*"""
    r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))?)*\s*/?>"""
)
_DECLARATION = re.compile(r"<[!?][^<>]*>")  # doctype, processing instruction: no text in them


def sanitize_html(html: str) -> str:
    """``html`` with comments and declarations dropped and every stray ``<`` escaped.

    ``html.parser`` rescans to the end of the input for each construct it cannot close, which is
    quadratic (a megabyte of ``</`` takes over a minute); after this pass it sees only complete tags.
    """
    out: list[str] = []
    i = 0
    while True:
        j = html.find("<", i)
        if j < 0:
            out.append(html[i:])
            return "".join(out)
        out.append(html[i:j])
        if html.startswith("<!--", j):
            end = html.find("-->", j + 4)
            if end < 0:  # an unclosed comment runs to the end, as in a browser
                return "".join(out)
            i = end + 3
            continue
        tag = _TAG.match(html, j)
        if tag:
            out.append(tag.group())
            i = tag.end()
            continue
        declaration = _DECLARATION.match(html, j)
        if declaration:
            i = declaration.end()
            continue
        out.append("&lt;")
        i = j + 1


class TextSink:
    """Plain text being assembled: whitespace collapsed, one line per paragraph or table row.

    Inside a table row, text goes to the current cell and line breaks become spaces; a finished row
    is one line of its non-empty cells joined by " | ".
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._words: list[str] = []
        self._cells: list[str] | None = None

    def add(self, data: str) -> None:
        self._words.append(data)

    def _take_words(self) -> str:
        text = squash("".join(self._words))
        self._words = []
        return text

    def end_line(self) -> None:
        if self._cells is not None:
            self._words.append(" ")
            return
        line = self._take_words()
        if line:
            self.lines.append(line)

    def end_cell(self) -> None:
        if self._cells is None:
            self.end_line()
            return
        cell = self._take_words()
        if cell:
            self._cells.append(cell)

    def start_row(self) -> None:
        self.end_row()
        self.end_line()
        self._cells = []

    def end_row(self) -> None:
        if self._cells is None:
            return
        self.end_cell()
        row, self._cells = " | ".join(self._cells), None
        if row:
            self.lines.append(row)

    def text(self) -> str:
        self.end_row()
        self.end_line()
        return "\n".join(self.lines)


_LINE_TAGS = {
    "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "blockquote", "table", "thead", "tbody", "tfoot", "caption", "section", "article", "header",
    "footer", "html", "body", "head",
}
_HIDDEN_TAGS = {"style", "script", "title", "template"}


class HtmlText(HTMLParser):
    """HTML (a whole page or a fragment such as a result block's ``ocr_text``) into a ``TextSink``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sink = TextSink()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "tr":
            self.sink.start_row()
        elif tag in ("td", "th"):
            self.sink.end_cell()
        elif tag in _LINE_TAGS:
            self.sink.end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "tr":
            self.sink.end_row()
        elif tag in ("td", "th"):
            self.sink.end_cell()
        elif tag == "table":
            self.sink.end_row()
        elif tag in _LINE_TAGS:
            self.sink.end_line()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.sink.add(data)


def html_to_text(html: str) -> str:
    """Clean plain text of an HTML fragment: tags gone, entities decoded, rows as "a | b" lines."""
    if "<" not in html and "&" not in html:
        return plain_lines(html)
    parser = HtmlText()
    parser.feed(sanitize_html(html))
    parser.close()
    return parser.sink.text()
