"""Several Streamlit sessions (threads) and several processes asking and ingesting at once."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.events import AnswerDone
from tests.conftest import CORPUS, ROOT

FILES = [CORPUS / "C" / "C03_ru_spetsifikatsiya.pdf", CORPUS / "C" / "C04_ru_schema_electric_E3.pdf",
         CORPUS / "A" / "A05_solidworks_part_JXS-03-01.pdf"]


def test_threads_ask_and_ingest_at_once(app: Aizoomdoc) -> None:
    assert app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf").status == "ok"
    errors: list[BaseException] = []
    answers: list[str] = []

    def asker(number: int) -> None:
        try:
            for event in app.ask(f"Перечень элементов {number}", offline=True):
                if isinstance(event, AnswerDone):
                    answers.append(event.result.chat_id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    def ingester(path: Path) -> None:
        try:
            for _ in range(2):  # the second time is a duplicate, raced by nobody else
                assert app.ingest(path).status == "ok"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=ingester, args=(path,)) for path in FILES]
    threads += [threading.Thread(target=ingester, args=(FILES[0],))]  # the same file twice at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(answers)) == 4 and app.count_chats() == 4
    assert sorted(d.name for d in app.list_documents()) == sorted(["C02_ru_perechen_elementov_PE3.pdf", *(p.name for p in FILES)])
    assert len(app.blobs.keys("documents/")) == 4
    for chat_id in answers:
        view = app.chat_view(chat_id)
        assert [m.role for m in view.messages] == ["user", "assistant"] and view.images


def test_processes_share_one_data_directory(tmp_path: Path) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d"), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-m", "aizoomdoc_core", "ingest", str(FILES[1])], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    commands = [["ask", f"Схема электрическая {n}", "--offline", "--json"] for n in range(3)]
    commands += [["ingest", str(FILES[0]), "--json"], ["ingest", str(FILES[2]), "--json"]]
    running = [subprocess.Popen([sys.executable, "-m", "aizoomdoc_core", *c], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    results = [process.communicate(timeout=180) for process in running]
    assert [p.returncode for p in running] == [0] * len(commands), [err for _, err in results]
    assert not any("locked" in err for _, err in results)
    listed = subprocess.run([sys.executable, "-m", "aizoomdoc_core", "chats", "list", "--json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.stdout.count('"id"') == 3
