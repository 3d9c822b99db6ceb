"""Page switches and history clicks with 1,000 chats in the history, through Streamlit's AppTest.

    .venv/bin/python -m benchmarks.ui_benchmark [--chats 1000]

Each chat has a question, an answer and two stored images. Measured: a History page rerun, and the
click on "Open" up to the rendered chat (the script runs of both pages, server side; a browser adds
its own drawing on top), against the same with 10 chats in the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image
from streamlit.testing.v1 import AppTest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def fill(folder: Path, chats: int) -> None:
    app = Aizoomdoc.open(Settings.load(data_dir=folder, environ={}, dotenv_path=None))
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(buffer, format="PNG")
    png = buffer.getvalue()
    for number in range(chats):
        chat = app.create_chat(f"Вопрос {number}: где узел {number}?")
        app.add_message(chat.id, "user", f"Где узел {number}?")
        answer = app.add_message(chat.id, "assistant", f"Узел {number} на листе АР-{number % 40}.")
        for kind in ("viewport", "zoom_crop"):
            app.add_image(chat.id, png, kind=kind, width=800, height=600, message_id=answer.id)
    app.close()


def measure(folder: Path, rounds: int) -> dict[str, float]:
    os.environ["AIZOOMDOC_DATA_DIR"] = str(folder)
    history, opening = [], []
    for _ in range(rounds):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.run()
        started = time.perf_counter()
        at.switch_page("pages/history.py").run()
        history.append(time.perf_counter() - started)
        button = next(b for b in at.button if str(b.key).startswith("open-"))
        started = time.perf_counter()
        button.click().run()
        opening.append(time.perf_counter() - started)
        assert not at.exception and at.get("image"), "the chat opened with its images"
    return {"history_ms": 1000 * statistics.median(history), "open_ms": 1000 * statistics.median(opening)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for count in (10, args.chats):
        with tempfile.TemporaryDirectory() as data:
            fill(Path(data), count)
            results[count] = measure(Path(data), args.rounds)
    print("| chats in history | History page | click Open to rendered chat |\n| --- | --- | --- |")
    for count, result in results.items():
        print(f"| {count} | {result['history_ms']:.0f} ms | {result['open_ms']:.0f} ms |")


if __name__ == "__main__":
    main()
