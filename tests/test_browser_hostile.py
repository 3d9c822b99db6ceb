"""Hostile strings and pages, tried in Debian's Chromium as an attacker would.

A drawing whose text is Markdown (an image pointing at a beacon, links, a formula, Streamlit's
colour and icon directives), a file name and a question made of the same, and a model answer that
tries it too: every page shows the text as written, and no page makes a single request outside
the app (a beacon server on 127.0.0.1 counts what reaches it, and the browser records every
request to anything but the app). While the database takes seconds to answer, no page outside
the app's own navigation is offered, and with a login configured no page shows anything but the
sign-in, whichever page is asked for first.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pymupdf
import pytest
from playwright.sync_api import Page, expect

from aizoomdoc_core.markup import WORD_JOINER
from tests.browser import ARTIFACTS, browse, settle
from tests.llm_server import Reply, ScriptedLLM
from tests.services import StreamlitServer, free_port, running

PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa5e3ee0000000049454e44ae426082")


class Beacon:
    """An HTTP server on 127.0.0.1 that counts every request made to it (and answers a pixel)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the base class's name
                beacon.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(PIXEL)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def serving(self) -> Iterator[Beacon]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _hostile_pdf(beacon: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=842, height=595)
    lines = [
        "GATE VALVE SCHEDULE",
        f"![beacon]({beacon}/document-image.png)",
        f'<img src="{beacon}/document-html.png">',
        f"[click]({beacon}/document-link) javascript:alert(1)",
        "$x^2$ :red[WARNING] :material/warning: SCALE 1:100:",
        "**NOT BOLD** # NOT A HEADING",
    ]
    page.insert_textbox(pymupdf.Rect(40, 40, 800, 300), "\n".join(lines), fontsize=11)  # one text block
    data = doc.tobytes()
    doc.close()
    return data


def _shown(page: Page) -> str:
    """The page's text as a reader sees it (the invisible joiners that break shortcodes removed)."""
    return page.inner_text("body").replace(WORD_JOINER, "").replace("\u00a0", " ")


def _nothing_was_markup(page: Page) -> None:
    expect(page.locator(".katex")).to_have_count(0)
    expect(page.locator('[data-testid="stMarkdownContainer"] img')).to_have_count(0)
    # Headings carry Streamlit's own in-page anchor (href="#..."); no other link is allowed.
    expect(page.locator('[data-testid="stMarkdownContainer"] a:not([href^="#"])')).to_have_count(0)


def test_markup_from_files_people_and_the_model_is_text_and_nothing_is_fetched(tmp_path: Path) -> None:
    beacon = Beacon()
    answer = (f"**Bold answer** about the gate valve [B1]. ![a]({beacon.url}/answer-image.png) "
              f"[site]({beacon.url}/answer-link) <img src={beacon.url}/answer-html.png> $m$ :red[red]")
    name = f":red[plan] $a$ ![n]({beacon.url}/file-name.png).pdf"
    question = f"GATE VALVE? ![q]({beacon.url}/question.png) $z$ :blue[q]"
    outside: list[str] = []
    with beacon.serving(), ScriptedLLM([Reply(content=answer)]) as llm:
        server = StreamlitServer(tmp_path / "data")
        server.env.update({"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "test-key", "LLM_MODEL": "scripted-model"})
        with running(server), browse(server, outside=outside) as page:
            expect(page.get_by_role("link", name="Documents", exact=True)).to_be_visible()
            settle(page)  # a click while the first run still runs can be dropped (a loaded machine)
            page.get_by_role("link", name="Documents", exact=True).click()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                files=[{"name": name, "mimeType": "application/pdf", "buffer": _hostile_pdf(beacon.url)}])
            settle(page)
            page.get_by_role("button", name="Ingest").click()
            expect(page.get_by_text("1 page, ready")).to_be_visible()
            page.get_by_label("Search in the documents").fill("gate valve schedule")
            page.keyboard.press("Enter")
            expect(page.get_by_text("GATE VALVE SCHEDULE").first).to_be_visible()
            settle(page)
            shown = _shown(page)
            for text in (f"![beacon]({beacon.url}/document-image.png)", "$x^2$ :red[WARNING] :material/warning: SCALE 1:100:",
                         "**NOT BOLD** # NOT A HEADING", name):
                assert text in shown, text
            _nothing_was_markup(page)
            page.screenshot(path=ARTIFACTS / "hostile-1-documents.png", full_page=True)

            page.get_by_role("link", name="Chat", exact=True).click()
            settle(page)
            page.locator('[data-testid="stChatInputTextArea"]').fill(question)
            page.keyboard.press("Enter")
            reply = page.locator('[data-testid="stChatMessage"]').filter(has_text="Bold answer")
            expect(reply.locator("strong").filter(has_text="Bold answer")).to_be_visible()  # the model's formatting kept
            page.wait_for_url("**chat=*")
            settle(page)
            shown = _shown(page)
            assert question in shown  # the title and the question, as written
            assert "site" in shown and "$m$ :red[red]" in shown  # a link is its text, a formula is text
            _nothing_was_markup(page)
            page.get_by_text("Sources (").first.click()
            settle(page)
            page.screenshot(path=ARTIFACTS / "hostile-2-chat.png", full_page=True)
            assert name in _shown(page)  # a source is labelled with the document's name as written

            page.get_by_role("link", name="History", exact=True).click()
            settle(page)
            assert question in _shown(page)
            _nothing_was_markup(page)
            page.screenshot(path=ARTIFACTS / "hostile-3-history.png", full_page=True)
    assert beacon.paths == [], beacon.paths
    assert outside == [], outside


@contextmanager
def _silent_database() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: a cold cloud database."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_slow_database_never_offers_the_pages_folder(tmp_path: Path) -> None:
    outside: list[str] = []
    with _silent_database() as port:
        server = StreamlitServer(tmp_path / "data")
        server.env.update({"DATABASE_URL": f"postgresql://app:pw@127.0.0.1:{port}/db", "AIZOOMDOC_CONNECT_TIMEOUT": "8"})
        with running(server), browse(server, outside=outside) as page:
            expect(page.get_by_text("Opening storage")).to_be_visible(timeout=8_000)  # the core is still opening
            page.screenshot(path=ARTIFACTS / "slow-start.png", full_page=True)
            for offered in ("shared", "streamlit app", "streamlit_app"):
                expect(page.get_by_role("link", name=offered)).to_have_count(0)
            expect(page.get_by_text("postgresql is unreachable")).to_be_visible(timeout=30_000)
            for page_name in ("Chat", "History", "Documents"):
                expect(page.get_by_role("link", name=page_name, exact=True)).to_be_visible()
            expect(page.get_by_role("link", name="shared")).to_have_count(0)
            settle(page)
            # The page icon is the app's own picture, never a font CDN's.
            expect(page.locator("link[rel*=icon]")).to_have_attribute("href", re.compile("^" + re.escape(server.url + "/")))
    assert outside == [], outside


@pytest.mark.parametrize("first", ["history", "documents", "chat", "shared", ""])
def test_with_a_login_configured_no_page_shows_anything_before_sign_in(tmp_path: Path, first: str) -> None:
    """Asked first on a fresh server (while Streamlit still treats ``pages/`` as its own pages)."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[auth]\nredirect_uri = "http://127.0.0.1/oauth2callback"\ncookie_secret = "a-test-cookie-secret"\n'
        f'client_id = "aizoomdoc"\nclient_secret = "test"\nserver_metadata_url = "http://127.0.0.1:{free_port()}/.well-known/openid-configuration"\n'
    )
    server = StreamlitServer(tmp_path / "data")
    server.options = ["--secrets.files", str(secrets)]
    outside: list[str] = []
    with running(server), browse(server, path=first, outside=outside) as page:
        expect(page.get_by_text("Sign in to see your chats.")).to_be_visible()
        settle(page)
        page.screenshot(path=ARTIFACTS / f"sign-in-{first or 'root'}.png", full_page=True)
        for heading in ("History", "Documents", "New chat"):
            expect(page.get_by_role("heading", name=heading)).to_have_count(0)
        expect(page.locator('[data-testid="stSidebar"]')).to_have_count(0)
    assert outside == [], outside
