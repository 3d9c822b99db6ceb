"""The app starts on the embedded default with no secrets at all, in AppTest and as a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from tests.conftest import ROOT
from tests.services import free_port


def test_app_shows_local_storage_and_kept_chats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    seeded = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    seeded.create_chat("Где узел 3?")
    seeded.close()
    monkeypatch.setenv("AIZOOMDOC_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("sqlite" in m.value for m in at.sidebar.markdown)
    assert any("Где узел 3?" in m.value for m in at.markdown)


def test_streamlit_run_serves_the_app(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "S3_", "OPENAI_"))}
    env["AIZOOMDOC_DATA_DIR"] = str(tmp_path / "data")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "streamlit did not start within 60 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<title>Streamlit</title>" in page.read()
    finally:
        server.terminate()
        server.wait(timeout=20)
