"""End to end in a real browser: Debian's Chromium driven by Playwright against ``streamlit run``.

Upload a drawing, ask, see the streamed answer and an inline image, reload (the chat id is in the
URL), open the chat again from History, and again after the server restarts; and, with a database
that is not there yet, keep a question in the spool and deliver it with "Send now". Screenshots go to
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from tests.browser import ARTIFACTS, browse, settle
from tests.conftest import CORPUS
from tests.services import PostgresCluster, StreamlitServer, running


@pytest.fixture
def server(tmp_path: Path) -> Iterator[StreamlitServer]:
    with running(StreamlitServer(tmp_path / "data")) as server:
        yield server


@pytest.fixture
def page(server: StreamlitServer) -> Iterator[Page]:
    with browse(server) as tab:
        yield tab



def test_upload_ask_reload_and_reopen_from_history(page: Page, server: StreamlitServer) -> None:
    expect(page.get_by_text("Chats and files are kept on this computer.")).to_be_visible()  # the app's own navigation is up
    page.get_by_role("link", name="Documents", exact=True).click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf"))
    settle(page)
    page.get_by_role("button", name="Ingest").click()
    expect(page.get_by_text("2 pages, ready")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "1-documents.png", full_page=True)

    page.get_by_role("link", name="Chat", exact=True).click()
    settle(page)
    page.locator('[data-testid="stChatInputTextArea"]').fill("Перечень элементов импульсного модулятора")
    page.keyboard.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').filter(has_text="Модель не запрашивалась")
    expect(answer.first).to_be_visible()
    expect(answer.first.locator("img").first).to_be_visible()
    page.wait_for_url("**chat=*")
    page.screenshot(path=ARTIFACTS / "2-answer.png", full_page=True)

    page.reload()
    expect(page.get_by_role("heading", name="Перечень элементов импульсного модулятора")).to_be_visible()
    expect(page.locator('[data-testid="stChatMessage"]').filter(has_text="Модель не запрашивалась").first.locator("img").first).to_be_visible()

    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_text("Перечень элементов импульсного модулятора").first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "3-history.png", full_page=True)
    settle(page)
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Open").first.click()
    expect(page.get_by_role("heading", name="Перечень элементов импульсного модулятора")).to_be_visible()
    expect(page.locator('[data-testid="stChatMessage"] img').first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "4-reopened.png", full_page=True)

    server.stop()  # the app restarts: the chat is still in History
    server.start()
    page.goto(server.url)
    expect(page.get_by_text("Chats and files are kept on this computer.")).to_be_visible()
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_text("Перечень элементов импульсного модулятора").first).to_be_visible()
    settle(page)
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Open").first.click()
    expect(page.locator('[data-testid="stChatMessage"] img').first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "5-after-restart.png", full_page=True)


def test_a_question_waits_for_the_database_and_send_now_delivers_it(tmp_path: Path, postgres: PostgresCluster) -> None:
    """A database that does not exist yet is an outage like any other: the question is kept, the
    sidebar counts it, and once the database is there, "Send now" delivers it."""
    name = f"later_{uuid.uuid4().hex[:8]}"
    url = f"{postgres.url.rsplit('/', 1)[0]}/{name}"
    server = StreamlitServer(tmp_path / "data")
    server.env["DATABASE_URL"] = url
    try:
        with running(server), browse(server) as page:
            expect(page.get_by_text("postgresql is unreachable")).to_be_visible()
            page.locator('[data-testid="stChatInputTextArea"]').fill("Перечень элементов")
            page.keyboard.press("Enter")
            expect(page.get_by_text("Документы сейчас недоступны для поиска").first).to_be_visible()
            page.wait_for_url("**chat=*")
            expect(page.get_by_text("4 items wait to be sent to the cloud.")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "6-cloud-away.png", full_page=True)
            with psycopg.connect(postgres.url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            settle(page)
            page.get_by_role("button", name="Send now").click()
            expect(page.get_by_text("items wait to be sent")).to_have_count(0)
            page.screenshot(path=ARTIFACTS / "7-sent.png", full_page=True)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT content FROM chat_messages WHERE role = 'user'").fetchall() == [("Перечень элементов",)]
    finally:
        postgres.drop_database(url)
