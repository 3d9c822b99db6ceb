"""A reviewer's chat in a real browser: the scope chosen before the first question holds, and a chat
opened from History keeps its address (``?chat=``) through a reload, so it can be shared.

Screenshots go to ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from playwright.sync_api import Page, expect

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from tests.browser import ARTIFACTS, browse, settle
from tests.services import StreamlitServer, running

SHEETS = {"pumps_stage_1.pdf": "Pump P-1 duty 12 m3/h, motor 4 kW", "pumps_stage_2.pdf": "Pump P-1 duty 30 m3/h, motor 11 kW"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[StreamlitServer]:
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ={}, dotenv_path=None))
    for name, text in SHEETS.items():
        with pymupdf.open() as pdf:
            pdf.new_page().insert_text((72, 100), text)
            pdf.save(tmp_path / name)
        assert app.ingest(tmp_path / name).status == "ok"
    app.close()
    with running(StreamlitServer(tmp_path / "data")) as server:
        yield server


@pytest.fixture
def page(server: StreamlitServer) -> Iterator[Page]:
    with browse(server) as tab:
        yield tab


def test_the_scope_chosen_first_holds_and_the_chat_keeps_its_address(page: Page) -> None:
    settle(page)
    page.locator('[data-testid="stMultiSelect"]').click()
    page.get_by_role("option", name="pumps_stage_2.pdf").click()
    page.keyboard.press("Escape")
    settle(page)
    page.locator('[data-testid="stChatInputTextArea"]').fill("What is the duty of pump P-1?")
    page.keyboard.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').filter(has_text="No model was asked")
    expect(answer.first).to_be_visible()
    page.wait_for_url("**chat=*")
    chat = re.search(r"chat=([0-9a-f-]+)", page.url)
    assert chat
    expect(answer.first).to_contain_text("30 m3/h")
    expect(page.get_by_text("12 m3/h")).to_have_count(0)  # the other stage was never searched
    page.screenshot(path=ARTIFACTS / "chat-scope-first.png", full_page=True)

    page.get_by_role("link", name="History", exact=True).click()
    settle(page)
    assert "chat=" not in page.url
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Open").first.click()
    expect(page.get_by_role("heading", name="What is the duty of pump P-1?")).to_be_visible()
    page.wait_for_url(f"**chat={chat.group(1)}")
    page.reload()
    expect(page.get_by_role("heading", name="What is the duty of pump P-1?")).to_be_visible()
    expect(page.locator('[data-testid="stChatMessage"]').filter(has_text="30 m3/h").first).to_be_visible()
    assert f"chat={chat.group(1)}" in page.url

    page.get_by_role("link", name="Documents", exact=True).click()
    settle(page)
    page.get_by_role("link", name="Chat", exact=True).click()  # back through the top navigation
    page.wait_for_url(f"**chat={chat.group(1)}")
    expect(page.get_by_role("heading", name="What is the duty of pump P-1?")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "chat-reopened-keeps-address.png", full_page=True)


@pytest.fixture
def russian_narrow(server: StreamlitServer) -> Iterator[Page]:
    with browse(server, width=800, locale="ru-RU") as tab:
        yield tab


def test_a_russian_browser_in_an_800px_window_gets_a_russian_app_that_fits(russian_narrow: Page) -> None:
    page = russian_narrow
    settle(page)
    expect(page.get_by_role("heading", name="Новый чат")).to_be_visible()  # from the browser's language alone
    expect(page.get_by_role("link", name="История", exact=True)).to_be_visible()
    expect(page.get_by_text("Deploy")).to_have_count(0)  # no developer tools for the people using the app
    page.locator('[data-testid="stChatInputTextArea"]').fill("Какая производительность насоса P-1?")
    page.keyboard.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').filter(has_text="Модель не запрашивалась")
    expect(answer.first).to_be_visible()
    expect(page.get_by_role("button", name="Новый чат")).to_be_visible()
    image = answer.first.locator("img").first
    expect(image).to_be_visible()
    # the best crop comes first and as wide as the chat, its locator small under it
    images = answer.first.locator('[data-testid="stImage"]')
    crop, locator = images.first.bounding_box(), images.filter(has_text="Где это на листе").first.bounding_box()
    assert crop and locator and crop["width"] >= 450 and locator["width"] < crop["width"] / 1.5
    page.screenshot(path=ARTIFACTS / "ru-800-chat.png", full_page=True)

    page.get_by_role("link", name="История", exact=True).click()
    settle(page)
    buttons = page.locator('[data-testid="stMain"] button')
    for label in ("Открыть", "Переименовать", "Экспорт", "Удалить"):
        button = buttons.filter(has_text=label).first
        expect(button).to_be_visible()
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), f"{label} is cut in an 800 px window"
    page.screenshot(path=ARTIFACTS / "ru-800-history.png", full_page=True)

    page.locator('[data-testid="stMain"] button').filter(has_text="Удалить").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Это нельзя отменить")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "ru-800-delete-asks.png")
    dialog.get_by_role("button", name="Удалить навсегда").click()
    settle(page)
    expect(page.get_by_text("Чатов пока нет.")).to_be_visible()


def test_a_link_to_a_page_is_the_first_visit_and_still_opens_inside_the_app(server: StreamlitServer) -> None:
    """Until a session has declared the navigation, Streamlit runs a ``pages/`` script on its own:
    the first visitor after a start who follows a shared link still gets the app around the page."""
    with browse(server, path="documents?page=2") as page:
        settle(page)
        expect(page.get_by_role("link", name="Chat", exact=True)).to_be_visible()  # the navigation
        expect(page.get_by_role("heading", name="Documents")).to_be_visible()
        expect(page.get_by_text("Chats and files are kept on this computer.")).to_be_visible()  # the sidebar
        expect(page.get_by_text("Page not found")).to_have_count(0)
        page.wait_for_url("**/documents?page=2")  # the address as it was shared, nothing added
        page.screenshot(path=ARTIFACTS / "link-first-visit.png")


@pytest.fixture
def plans(tmp_path: Path) -> Iterator[Page]:
    from tests.test_references import english_set

    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ={}, dotenv_path=None))
    english_set(tmp_path / "plans.pdf")
    assert app.ingest(tmp_path / "plans.pdf").status == "ok"
    app.close()
    with running(StreamlitServer(tmp_path / "data")) as server, browse(server) as tab:
        yield tab


def test_a_quoted_callout_is_followed_to_its_detail_in_the_chat(plans: Page) -> None:
    """The reviewer asks about a wall type the plan sends to a detail: the answer quotes the callout,
    says where it leads, and shows the callout's crop and the detail's, one under the other."""
    page = plans
    settle(page)
    page.locator('[data-testid="stChatInputTextArea"]').fill("What is wall type W1?")
    page.keyboard.press("Enter")
    answer = page.locator('[data-testid="stChatMessage"]').filter(has_text="No model was asked").first
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("SEE 2/A-102» leads to «2 WALL SECTION» — sheet A-102, page 2")
    settle(page)
    images = answer.locator('[data-testid="stImage"] img')
    expect(images.first).to_be_visible()
    assert images.count() >= 2
    page.screenshot(path=ARTIFACTS / "chat-callout-followed.png", full_page=True)
    images.nth(1).scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "chat-callout-followed-detail.png")
