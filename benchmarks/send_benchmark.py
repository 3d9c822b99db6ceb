"""From Send to what a person sees, in a real browser: a long chat against a new one, same run.

    .venv/bin/python -m benchmarks.send_benchmark [--turns 10] [--rounds 3]

A chat of ``--turns`` questions and answers (20 messages, each answer with its evidence images) is
made offline over a real drawing set, then ``streamlit run`` serves it to Debian's Chromium through
Playwright. For each round, in that chat and in a new chat: the time from pressing Enter to the
question's echo on the page, and to the first image of the new answer. Medians; the machine is
shared, so only numbers of one run compare.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.events import AnswerDone
from benchmarks.search_benchmark import CORPUS
from tests.browser import browse, settle
from tests.services import StreamlitServer, running

DRAWINGS = CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf"
QUESTIONS = ["What model are the hand dryers?", "Who drew the plans?", "What is the scale of the floor plan?",
             "Which fixtures are in the restroom?", "What is the ceiling height?", "Who is the architect?",
             "What are the grab bar dimensions?", "Which sheet shows the elevations?", "What is the project address?",
             "What is the door hardware?"]
IMAGES = '[data-testid="stChatMessage"] img, [data-testid="stExpanderDetails"] img'  # in answers and the status box


def long_chat(folder: Path, turns: int) -> str:
    """A chat of ``turns`` offline answers with their images; its id."""
    app = Aizoomdoc.open(Settings.load(data_dir=folder, environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    try:
        assert app.ingest(DRAWINGS).status == "ok"
        chat = app.create_chat("A long review").id
        for number in range(turns):
            question = QUESTIONS[number % len(QUESTIONS)]
            next(e for e in app.ask(question, chat_id=chat, offline=True) if isinstance(e, AnswerDone))
        return chat
    finally:
        app.close()


def send(page: Page, question: str) -> tuple[float, float]:
    """Seconds from Enter to the echo of ``question``, and to the first image of its answer."""
    asked = page.locator('[data-testid="stChatMessage"]').filter(has_text=question)
    before = asked.count()
    shown = page.locator(IMAGES).count()
    page.locator('[data-testid="stChatInputTextArea"]').fill(question)
    started = time.perf_counter()
    page.keyboard.press("Enter")
    expect(asked).to_have_count(before + 1, timeout=60_000)
    echo = time.perf_counter() - started
    page.wait_for_function(f"n => document.querySelectorAll('{IMAGES}').length > n", arg=shown, timeout=120_000)
    return echo, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "data"
        chat = long_chat(folder, args.turns)
        server = StreamlitServer(folder)
        server.env["AIZOOMDOC_EMBEDDINGS"] = "off"
        results: dict[str, list[tuple[float, float]]] = {"new chat": [], f"chat of {2 * args.turns} messages": []}
        with running(server):
            for round_ in range(args.rounds):
                question = f"Where is the mirror, take {round_}?"
                with browse(server) as page:
                    settle(page)
                    results["new chat"].append(send(page, question))
                with browse(server, path=f"?chat={chat}") as page:
                    settle(page)
                    results[f"chat of {2 * args.turns} messages"].append(send(page, question))
    print("| chat | Send to echo (median) | Send to first image (median) |\n| --- | ---: | ---: |")
    for name, times in results.items():
        print(f"| {name} | {statistics.median(t[0] for t in times):.2f} s | {statistics.median(t[1] for t in times):.2f} s |")


if __name__ == "__main__":
    main()
