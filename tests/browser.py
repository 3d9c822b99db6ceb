"""Debian's Chromium driven by Playwright, for the browser tests: a tab on the app, waiting for a
rerun to end, and a record of every request a page makes outside the app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.services import StreamlitServer

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def browse(server: StreamlitServer, *, path: str = "", outside: list[str] | None = None,
           goto: bool = True, width: int = 1400, locale: str = "en-US") -> Iterator[Page]:
    """A Chromium tab on the app (at ``path``), ``width`` pixels wide, its browser set to ``locale``.
    Every request the tab makes to anything but the app itself is appended to ``outside``, when given."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is installed by the test command"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": 1000}, locale=locale)
        if outside is not None:
            # blob: URLs of the app's own origin are objects in the tab's memory (Streamlit loads a
            # custom component's inline script from one), never a request to anywhere.
            own = (server.url + "/", server.url.replace("http", "ws", 1) + "/", f"blob:{server.url}/")
            context.on("request", lambda request: None if request.url.startswith(own) else outside.append(request.url))
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        if goto:
            tab.goto(f"{server.url}/{path}")
        yield tab
        browser.close()


def settle(page: Page) -> None:
    """Wait until the script has finished running: a click during a rerun can be dropped."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=60_000)
