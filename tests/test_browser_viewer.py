"""The sheet viewer in a real Chromium: a reviewer zooms into an A1 sheet until its 2 mm label reads.

The sheets are generated here, so the ground truth is known: two A1 sheets (841 x 594 mm), codes
A-101 and A-102 in their title blocks, each with one label whose capitals are 2 mm tall at a known
place. Tesseract reads the screenshots: at 100 % the label must not read (a 2 mm label on a screen-
wide A1 sheet is 4 px tall), zoomed it must. Screenshots go to ``test-artifacts/`` for a person to
look at: the viewer at 100 % and zoomed in, on the A1 sheet, and a reference on A-101 followed to
its detail on A-102.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from playwright.sync_api import Locator, Page, expect

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.ingest.pdf import ocr_available
from tests.browser import ARTIFACTS, browse, settle
from tests.services import StreamlitServer, running

MM = 72 / 25.4
A1 = (841 * MM, 594 * MM)
CAP_HEIGHT = 0.718  # of the font size, Helvetica's capitals
SHEETS = [("A-101", "PUMP P-17 DN150", "P-17"), ("A-102", "VALVE V-42 DN80", "V-42")]
LABEL_AT = (0.55, 0.45)  # where each label's baseline starts, 0..1 of the sheet
CALLOUT_AT = (0.2, 0.62)  # sheet A-101's reference to detail 2 on A-102 ...
DETAIL_AT = (0.3, 0.7)  # ... and that detail's title there


def a1_sheets(path: Path) -> None:
    """Two A1 sheets with a frame, a grid, a heading, a title block and one 2 mm label each; A-101
    refers to detail 2 on A-102 ("SEE 2/A-102"), which A-102 titles ("2 WALL SECTION")."""
    pdf = pymupdf.open()
    width, height = A1
    for number, (code, label, _) in enumerate(SHEETS, start=1):
        page = pdf.new_page(width=width, height=height)
        page.draw_rect(pymupdf.Rect(20 * MM, 10 * MM, width - 10 * MM, height - 10 * MM), width=1.5)
        for column in range(1, 12):
            x = (20 + 70 * column) * MM
            page.draw_line((x, 10 * MM), (x, height - 10 * MM), width=0.3, color=(0.6, 0.6, 0.6))
        page.insert_text((60 * MM, 80 * MM), f"FLOOR PLAN LEVEL {number}", fontsize=72)
        page.insert_text((LABEL_AT[0] * width, LABEL_AT[1] * height), label, fontsize=2 * MM / CAP_HEIGHT)
        if code == "A-101":
            page.insert_text((CALLOUT_AT[0] * width, CALLOUT_AT[1] * height), "SEE 2/A-102", fontsize=24)
        else:
            page.insert_text((DETAIL_AT[0] * width, DETAIL_AT[1] * height), "2 WALL SECTION", fontsize=24)
        page.draw_rect(pymupdf.Rect(width - 190 * MM, height - 65 * MM, width - 10 * MM, height - 10 * MM), width=1)
        page.insert_text((width - 185 * MM, height - 50 * MM), "SHEET NO.", fontsize=9)
        page.insert_text((width - 185 * MM, height - 35 * MM), code, fontsize=20)
    pdf.save(path)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StreamlitServer, str]]:
    folder = tmp_path_factory.mktemp("viewer")
    app = Aizoomdoc.open(Settings.load(data_dir=folder / "data", environ={}, dotenv_path=None))
    a1_sheets(folder / "plans_a1.pdf")
    result = app.ingest(folder / "plans_a1.pdf")
    assert result.status == "ok" and result.document_id
    assert [p.sheet_code for p in app.document_pages(result.document_id)] == ["A-101", "A-102"]
    app.close()
    with running(StreamlitServer(folder / "data")) as server:
        yield server, result.document_id


def read(path: Path) -> str:
    """What Tesseract reads in a screenshot, spaces squeezed."""
    assert ocr_available(), "Tesseract is installed by the test command"
    done = subprocess.run(["tesseract", str(path), "stdout", "-l", "eng", "--psm", "11"],
                          capture_output=True, text=True, timeout=120, check=True)
    return re.sub(r"\s+", " ", done.stdout)


def sharp(page: Page) -> None:
    """Wait until the viewer shows the view it reported, drawn at its size."""
    page.wait_for_timeout(400)  # past the viewer's settling delay
    expect(page.locator(".azv")).to_have_attribute("data-view", "sharp", timeout=30_000)


def shown_sharp(page: Page) -> Locator:
    """The viewer's stage on screen, its first sharp view drawn."""
    stage = page.locator(".azv-stage")
    stage.wait_for()
    settle(page)
    stage.scroll_into_view_if_needed()
    sharp(page)
    return stage


def zoom_percent(page: Page) -> int:
    return int(page.locator(".azv-zoom").inner_text().rstrip("%"))


def test_zoom_into_an_a1_sheet_until_its_2mm_label_reads(served: tuple[StreamlitServer, str]) -> None:
    server, _ = served
    outside: list[str] = []
    with browse(server, path="documents", outside=outside) as page:
        stage = shown_sharp(page)
        expect(page.locator(".azv-page")).to_have_text("Page 1 of 2 · sheet A-101")
        assert zoom_percent(page) == 100
        stage.screenshot(path=ARTIFACTS / "viewer-a1-100.png")
        at_fit = read(ARTIFACTS / "viewer-a1-100.png")
        assert "FLOOR PLAN" in at_fit  # the sheet is there and readable where its text is large...
        assert "P-17" not in at_fit  # ...and its 2 mm label is not, at 100 %

        for _ in range(3):
            page.get_by_role("button", name="Zoom in").click()
        assert zoom_percent(page) == 338
        sheet = page.locator(".azv-overview").bounding_box()
        assert sheet
        x = sheet["x"] + (LABEL_AT[0] + 0.012) * sheet["width"]
        y = sheet["y"] + (LABEL_AT[1] - 0.002) * sheet["height"]
        page.mouse.move(x, y)
        for _ in range(4):
            page.mouse.wheel(0, -200)
            page.wait_for_timeout(50)
        assert zoom_percent(page) > 1000
        sharp(page)
        stage.screenshot(path=ARTIFACTS / "viewer-a1-zoomed.png")
        assert "PUMP P-17 DN150" in read(ARTIFACTS / "viewer-a1-zoomed.png")

        page.mouse.move(x, y)  # a drag pans: the label moves with the pointer
        page.mouse.down()
        page.mouse.move(x - 300, y - 100, steps=5)
        page.mouse.up()
        sharp(page)
        stage.screenshot(path=ARTIFACTS / "viewer-a1-panned.png")
        assert "PUMP P-17 DN150" in read(ARTIFACTS / "viewer-a1-panned.png")

        page.get_by_role("button", name="Fit").click()
        assert zoom_percent(page) == 100
    assert outside == []


def test_next_page_and_a_jump_by_sheet_code(served: tuple[StreamlitServer, str]) -> None:
    server, _ = served
    with browse(server, path="documents") as page:
        page.locator(".azv-stage").wait_for()
        settle(page)
        sharp(page)
        expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
        page.get_by_role("button", name="Next page").click()
        expect(page.locator(".azv-page")).to_have_text("Page 2 of 2 · sheet A-102")
        expect(page.get_by_role("button", name="Next page")).to_be_disabled()
        sharp(page)
        page.locator(".azv-stage").screenshot(path=ARTIFACTS / "viewer-next-page.png")
        assert "FLOOR PLAN LEVEL 2" in read(ARTIFACTS / "viewer-next-page.png")

        jump = page.get_by_placeholder("Go to sheet (code)")
        jump.fill("a-101")  # any case
        jump.press("Enter")
        expect(page.locator(".azv-page")).to_have_text("Page 1 of 2 · sheet A-101")
        sharp(page)
        jump.fill("Z-999")
        jump.press("Enter")
        expect(page.locator(".azv-notice")).to_have_text("No sheet Z-999 in this document")
        expect(page.locator(".azv-page")).to_have_text("Page 1 of 2 · sheet A-101")


def test_an_address_opens_a_page_at_a_region_and_a_bad_one_says_so(served: tuple[StreamlitServer, str]) -> None:
    server, document_id = served
    x, y = LABEL_AT
    region = f"{x - 0.01:.4f},{y - 0.01:.4f},{x + 0.05:.4f},{y + 0.005:.4f}"
    with browse(server, path=f"documents?document={document_id}&page=2&region={region}") as page:
        page.locator(".azv-stage").wait_for()
        settle(page)
        sharp(page)
        expect(page.locator(".azv-page")).to_have_text("Page 2 of 2 · sheet A-102")
        expect(page.locator(".azv-mark")).to_be_visible()  # the region outlined
        assert zoom_percent(page) > 500
        page.locator(".azv-stage").screenshot(path=ARTIFACTS / "viewer-opened-at-region.png")
        assert "VALVE V-42 DN80" in read(ARTIFACTS / "viewer-opened-at-region.png")

    for bad in ("document=not-an-id", f"document={document_id}&page=9", f"document={document_id}&region=1,2,x"):
        with browse(server, path=f"documents?{bad}") as page:
            settle(page)
            expect(page.get_by_text("The link does not name a page to open")).to_be_visible()
            expect(page.locator('[data-testid="stException"]')).to_have_count(0)
            expect(page.locator(".azv-page")).to_have_text("Page 1 of 2 · sheet A-101")  # the viewer, from the start


def test_a_source_and_a_chat_image_open_the_cited_page_in_the_viewer(served: tuple[StreamlitServer, str]) -> None:
    server, _ = served
    outside: list[str] = []
    with browse(server, outside=outside) as page:
        settle(page)
        page.locator('[data-testid="stChatInputTextArea"]').fill("Which valve is V-42?")
        page.keyboard.press("Enter")
        answer = page.locator('[data-testid="stChatMessage"]').filter(has_text="No model was asked")
        expect(answer.first).to_be_visible()
        settle(page)

        page.get_by_text("Sources (").first.click()
        settle(page)
        page.get_by_role("button", name="[B1] plans_a1.pdf, page 2").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.locator(".azv-page")).to_have_text("Page 2 of 2 · sheet A-102")
        expect(dialog.locator(".azv-mark")).to_be_visible()
        sharp(page)
        assert zoom_percent(page) > 300  # at the cited block, not the whole sheet
        dialog.locator(".azv-stage").screenshot(path=ARTIFACTS / "viewer-source-dialog.png")
        assert "VALVE V-42 DN80" in read(ARTIFACTS / "viewer-source-dialog.png")
        page.keyboard.press("Escape")

        answer.first.get_by_role("link", name="Open this page in the viewer").first.click()
        page.wait_for_url("**/documents?**")
        assert "page=2" in page.url and "region=" in page.url
        page.locator(".azv-stage").wait_for()
        settle(page)
        sharp(page)
        expect(page.locator(".azv-page")).to_have_text("Page 2 of 2 · sheet A-102")
        expect(page.locator(".azv-mark")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "viewer-opened-from-chat.png", full_page=True)
    assert outside == []


def test_a_reference_opens_its_detail_on_the_other_sheet(served: tuple[StreamlitServer, str]) -> None:
    server, _ = served
    outside: list[str] = []
    with browse(server, path="documents", outside=outside) as page:
        stage = shown_sharp(page)
        expect(page.locator(".azv-link")).to_have_count(1)  # sheet A-101's one reference
        link = page.get_by_role("button", name="SEE 2/A-102 → sheet A-102")
        expect(link).to_have_attribute("title", "SEE 2/A-102 → sheet A-102")
        box, sheet = link.bounding_box(), page.locator(".azv-overview").bounding_box()
        assert box and sheet  # the box sits over the words, on the sheet as drawn
        assert box["x"] - sheet["x"] == pytest.approx(CALLOUT_AT[0] * sheet["width"], abs=3)
        assert sheet["y"] < box["y"] < sheet["y"] + CALLOUT_AT[1] * sheet["height"] < box["y"] + box["height"] + 3
        stage.screenshot(path=ARTIFACTS / "viewer-reference.png")

        link.click()
        expect(page.locator(".azv-page")).to_have_text("Page 2 of 2 · sheet A-102")
        mark = page.locator(".azv-mark")
        expect(mark).to_be_visible()  # the detail's title outlined, zoomed to
        assert zoom_percent(page) > 300
        sharp(page)
        expect(page.locator(".azv-link")).to_have_count(0)  # A-102 refers nowhere
        stage.screenshot(path=ARTIFACTS / "viewer-reference-followed.png")
        assert "2 WALL SECTION" in read(ARTIFACTS / "viewer-reference-followed.png")
        outlined, shown = mark.bounding_box(), stage.bounding_box()
        assert outlined and shown
        assert shown["x"] < outlined["x"] < outlined["x"] + outlined["width"] < shown["x"] + shown["width"]

        page.get_by_role("button", name="Previous page").click()  # and by the keyboard: focus, Enter
        expect(page.locator(".azv-page")).to_have_text("Page 1 of 2 · sheet A-101")
        expect(mark).to_be_hidden()
        sharp(page)
        link.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".azv-page")).to_have_text("Page 2 of 2 · sheet A-102")
        expect(mark).to_be_visible()
        expect(stage).to_be_focused()  # the keys go on working there
        sharp(page)
    assert outside == []
