"""The CLI contract: one JSON document on stdout with --json, one line on stderr for a failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aizoomdoc_core.app import MAX_OFFSET, Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.errors import InvalidInput
from tests.conftest import CORPUS, ROOT
from tests.services import free_port


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AIZOOMDOC_", "DATABASE_URL", "S3_", "OPENAI_"))}
    environ |= {"PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aizoomdoc_core", *args], cwd=cwd, env=environ,
        capture_output=True, text=True, timeout=timeout,
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def test_fresh_data_dir_lists_no_chats(tmp_path: Path) -> None:
    result = cli("--data-dir", str(tmp_path / "x"), "chats", "list", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert as_json(result) == []
    assert (tmp_path / "x" / "aizoomdoc.sqlite3").is_file()


def test_chats_list_show_rename_delete(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    chat = app.create_chat("Узел 3")
    app.add_message(chat.id, "user", "Где узел 3?")
    app.add_image(chat.id, b"png", kind="viewport", width=10, height=20, page=2, bbox=[0, 0, 1, 1])
    app.close()
    env = {"AIZOOMDOC_DATA_DIR": str(data)}

    listed = as_json(cli("chats", "list", "--limit", "5", "--json", cwd=tmp_path, env=env))
    assert [(c["id"], c["title"], c["first_question"]) for c in listed] == [(chat.id, "Узел 3", "Где узел 3?")]
    shown = as_json(cli("chats", "show", chat.id, "--json", cwd=tmp_path, env=env))
    assert shown["messages"][0]["content"] == "Где узел 3?"
    assert shown["images"][0]["kind"] == "viewport" and shown["images"][0]["bbox"] == [0, 0, 1, 1]
    assert as_json(cli("chats", "rename", chat.id, "Node 3", "--json", cwd=tmp_path, env=env))["title"] == "Node 3"
    assert "Node 3" in cli("chats", "list", cwd=tmp_path, env=env).stdout
    assert cli("chats", "delete", chat.id, "--json", cwd=tmp_path, env=env).returncode == 0
    assert as_json(cli("chats", "list", "--json", cwd=tmp_path, env=env)) == []
    assert not any((data / "blobs").rglob("*.png"))


def test_failures_are_one_line_without_traceback(tmp_path: Path) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    for args, message in (
        (("chats", "show", "00000000-0000-4000-8000-000000000000"), "chat not found"),
        (("chats", "show", "nonsense"), "not a valid chat id: 'nonsense'"),
        (("chats", "delete", "00000000-0000-4000-8000-000000000000"), "chat not found"),
    ):
        result = cli(*args, "--json", cwd=tmp_path, env=env)
        assert result.returncode == 1
        assert result.stderr.strip().count("\n") == 0 and message in result.stderr
        assert "Traceback" not in result.stderr and message in as_json(result)["error"]
    bad = cli("chats", "list", "--limit", "0", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "must be at least 1" in bad.stderr


def test_check_tells_the_truth_about_each_backend(tmp_path: Path, pg_url: str, s3_settings: dict[str, str]) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    local = cli("check", "--json", cwd=tmp_path, env=env)
    assert local.returncode == 0
    assert [(s["component"], s["kind"], s["in_use"]) for s in as_json(local)] == [
        ("database", "sqlite", True), ("blobs", "local", True), ("llm", "none", False)]

    cloud = cli("check", "--json", cwd=tmp_path, env=env | {"DATABASE_URL": pg_url, **s3_settings})
    assert cloud.returncode == 0, cloud.stderr
    assert [(s["kind"], s["reachable"], s["in_use"]) for s in as_json(cloud)][:2] == [
        ("postgresql", True, True), ("s3", True, True)]

    broken = env | {
        "DATABASE_URL": f"postgresql://u:pw-secret-123@127.0.0.1:{free_port()}/db",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "OPENAI_API_KEY": "sk-secret-456",
    }
    result = cli("check", "--json", cwd=tmp_path, env=broken)
    assert result.returncode == 1
    report = {s["kind"]: s for s in as_json(result)}
    assert report["postgresql"]["reachable"] is False and report["postgresql"]["in_use"] is True  # the spool stands in
    assert report["openai"]["reachable"] is False
    assert "pw-secret-123" not in result.stdout + result.stderr and "sk-secret-456" not in result.stdout + result.stderr
    assert "not connected: PostgreSQL" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_migrate_targets_the_configured_database(tmp_path: Path, pg_url: str) -> None:
    result = cli("migrate", "--json", cwd=tmp_path, env={"DATABASE_URL": pg_url})
    assert result.returncode == 0, result.stderr
    assert as_json(result)["kind"] == "postgresql" and as_json(result)["revision"] == "006"
    down = cli("migrate", "--json", cwd=tmp_path, env={"DATABASE_URL": pg_url.rsplit("/", 1)[0] + "/absent"})
    assert down.returncode == 1 and "does not exist" in down.stderr


def test_ingest_reports_every_path_and_reads_only_regular_files(tmp_path: Path) -> None:
    """A directory, a device that never ends and a FIFO that would block each get one error line;
    the files around them are ingested and reported, in order, and nothing hangs."""
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    folder, fifo = tmp_path / "a folder", tmp_path / "pipe.pdf"
    folder.mkdir()
    os.mkfifo(fifo)
    good = [CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf", CORPUS / "C" / "C03_ru_spetsifikatsiya.pdf"]
    paths = [str(good[0]), str(folder), "/dev/zero", str(fifo), str(good[1])]
    result = cli("ingest", *paths, "--json", cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    report = as_json(result)
    assert [(r["path"], r["status"]) for r in report] == [
        (paths[0], "ok"), (paths[1], "error"), (paths[2], "error"), (paths[3], "error"), (paths[4], "ok"),
    ]
    assert "is a directory" in report[1]["error"] and "character device" in report[2]["error"]
    assert "FIFO" in report[3]["error"]
    lines = result.stderr.splitlines()
    for failed in paths[1:4]:
        assert sum(failed in line for line in lines) == 1, (failed, lines)
    assert len(lines) == len(paths) and "Traceback" not in result.stderr  # one line per path


def test_ingest_documents_search_contract(tmp_path: Path) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    good, bad = CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf", CORPUS / "D" / "D18_not_a_pdf_oops.pdf"
    result = cli("ingest", str(good), str(bad), "--json", cwd=tmp_path, env=env)
    assert result.returncode == 1  # one failed, the other is still ingested
    report = as_json(result)
    assert [(r["path"], r["status"], r["pages"]) for r in report] == [(str(good), "ok", 2), (str(bad), "error", None)]
    assert "D18_not_a_pdf_oops.pdf: not a readable PDF" in report[1]["error"]
    assert "Traceback" not in result.stderr

    again = cli("ingest", str(good), "--json", cwd=tmp_path, env=env)
    assert again.returncode == 0 and as_json(again)[0]["document_id"] == report[0]["document_id"]

    documents = as_json(cli("documents", "--json", cwd=tmp_path, env=env))
    total = documents[0]["dense"]["total"]
    assert documents == [{"document_id": report[0]["document_id"], "name": good.name, "pages": 2, "status": "ready",
                          "dense": {"done": 0, "total": total}}] and total > 0  # vectors are made afterwards
    assert as_json(cli("index", "--json", cwd=tmp_path, env=env)) == {"indexed": total}
    assert as_json(cli("documents", "--json", cwd=tmp_path, env=env))[0]["dense"] == {"done": total, "total": total}
    assert f"dense {total}/{total}" in cli("documents", cwd=tmp_path, env=env).stdout

    hits = as_json(cli("search", "Перечень элементов", "--top", "3", "--json", cwd=tmp_path, env=env))
    assert 1 <= len(hits) <= 3 and hits[0]["document_id"] == report[0]["document_id"]
    assert {"document_id", "document_name", "page", "block_id", "bbox", "text", "score"} <= set(hits[0])
    scoped = cli("search", "Перечень", "--document", "00000000-0000-4000-8000-000000000000", "--json", cwd=tmp_path, env=env)
    assert scoped.returncode == 1 and "document not found" in scoped.stderr
    answered = as_json(cli("ask", "Перечень элементов", "--document", report[0]["document_id"], "--json", cwd=tmp_path, env=env))
    assert {r["document_id"] for r in answered["search_results"]} == {report[0]["document_id"]}
    asked_nowhere = cli("ask", "Перечень", "--document", "00000000-0000-4000-8000-000000000000", "--json", cwd=tmp_path, env=env)
    assert asked_nowhere.returncode == 1 and as_json(asked_nowhere) == {"error": "document not found: 00000000-0000-4000-8000-000000000000"}


MALFORMED_DATABASE_URLS = {
    "postgresql://user:Secret123": ["Secret123"],  # SQLAlchemy reads the password as a port number
    "postgresql://u:Secret-pw@h:notaport/db": ["Secret-pw"],
    "postgresql://u:Secret-pw@[::1/db": ["Secret-pw"],
    "postgresql://u:Secret-one\nSecret-two@h:x/db": ["Secret-one", "Secret-two"],
    "Secret-pasted-alone": ["Secret-pasted-alone"],
}


def _every_command_with(url: str, data: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    env = {"AIZOOMDOC_DATA_DIR": str(data), "DATABASE_URL": url}
    commands = {
        "documents": ("documents",), "check": ("check",), "check --json": ("check", "--json"),
        "migrate --json": ("migrate", "--json"), "ask": ("ask", "Перечень элементов"), "sync": ("sync",),
    }
    return {name: cli(*args, cwd=data.parent, env=env) for name, args in commands.items()}


def test_a_malformed_database_url_is_one_line_without_its_password(tmp_path: Path) -> None:
    """The CLI runs on the embedded SQLite, as without DATABASE_URL; only ``migrate``, asked of the
    configured database, fails (and ``check`` says it cannot be used)."""
    data = tmp_path / "data"
    local = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    assert local.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf").status == "ok"
    local.close()
    urls = list(MALFORMED_DATABASE_URLS)
    with ThreadPoolExecutor(len(urls)) as pool:
        runs = dict(zip(urls, pool.map(_every_command_with, urls, [data] * len(urls))))
    for url, results in runs.items():
        for name, result in results.items():
            shown = result.stdout + result.stderr
            assert not any(secret in shown for secret in MALFORMED_DATABASE_URLS[url]), (url, name, shown)
            assert "Traceback" not in shown and "DATABASE_URL" in result.stderr, (url, name, result.stderr)
            assert result.returncode == (1 if name.startswith(("check", "migrate")) else 0), (url, name, result.stderr)
        for name in ("documents", "check", "migrate --json"):
            assert len(results[name].stderr.strip().splitlines()) == 1, (url, name, results[name].stderr)
        assert as_json(results["migrate --json"]) == {"error": "DATABASE_URL is not a valid connection URL"}
        report = {s["kind"]: s for s in as_json(results["check --json"])}
        assert (report["postgresql"]["in_use"], report["sqlite"]["in_use"]) == (False, True)
        assert report["postgresql"]["error"] == "DATABASE_URL is not a valid connection URL"
        assert "C02_ru_perechen_elementov_PE3.pdf" in results["documents"].stdout
        assert "Модель не запрашивалась" in results["ask"].stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_offset_beyond_any_history_is_a_usage_error(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    if backend == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("pg_url")
    furthest = cli("chats", "list", "--offset", str(MAX_OFFSET), "--json", cwd=tmp_path, env=env)
    assert furthest.returncode == 0 and as_json(furthest) == [], furthest.stderr
    for offset in (str(MAX_OFFSET + 1), "99999999999999999999"):
        result = cli("chats", "list", "--offset", offset, cwd=tmp_path, env=env)
        assert result.returncode == 2 and f"--offset: must be at most {MAX_OFFSET}" in result.stderr, result.stderr
        assert "Overflow" not in result.stderr and "Traceback" not in result.stderr
    app = Aizoomdoc.open(Settings.load(environ=env, dotenv_path=None))  # the facade, as the app calls it
    try:
        with pytest.raises(InvalidInput, match=f"offset must be between 0 and {MAX_OFFSET}"):
            app.list_chats(offset=10**20)
    finally:
        app.close()


def test_usage_errors_under_json_are_json_on_stdout_and_exit_2(tmp_path: Path) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    for args, message in (
        (("chats", "list", "--limit", "0", "--json"), "argument --limit: must be at least 1"),
        (("--json", "ask"), "the following arguments are required: QUESTION"),  # --json anywhere counts
        (("ask", "--json"), "the following arguments are required: QUESTION"),
        (("search", "x", "--top", "many", "--json"), "argument --top: invalid integer value: 'many'"),
        (("frobnicate", "--json"), "invalid choice: 'frobnicate'"),
    ):
        result = cli(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert message in as_json(result)["error"], (args, result.stdout)
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, (args, result.stderr)
    plain = cli("ask", cwd=tmp_path, env=env)  # without --json, argparse's own usage and error
    assert plain.returncode == 2 and plain.stdout == "" and plain.stderr.startswith("usage: ")


EVIL = "evil\x1b[2J\rFAKE: ok\n\x9b31mline.pdf"


def test_text_output_escapes_control_characters_and_newlines_from_files_and_people(tmp_path: Path) -> None:
    env = {"AIZOOMDOC_DATA_DIR": str(tmp_path / "d")}
    evil = tmp_path / EVIL
    evil.write_bytes((CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf").read_bytes())
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "d", environ={}, dotenv_path=None))
    chat = app.create_chat("title\x9b2J")
    app.add_message(chat.id, "user", "a question\x9b2J with\nits own lines")
    app.close()
    runs = {
        "ingest": cli("-v", "ingest", str(evil), cwd=tmp_path, env=env),  # log lines name the file too
        "documents": cli("documents", cwd=tmp_path, env=env),
        "search": cli("search", "Перечень элементов", "--top", "1", cwd=tmp_path, env=env),
        "ask": cli("ask", "Перечень элементов", cwd=tmp_path, env=env),
        "chats list": cli("chats", "list", cwd=tmp_path, env=env),
        "chats show": cli("chats", "show", chat.id, cwd=tmp_path, env=env),
    }
    for name, result in runs.items():
        assert result.returncode == 0, (name, result.stderr)
        raw = [c for c in result.stdout + result.stderr if ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) < 0xA0]
        assert raw == [], (name, result.stdout, result.stderr)
        assert not any(line.startswith(("FAKE", "\\x9b31mline")) for line in (result.stdout + result.stderr).splitlines())
    assert f"\n{tmp_path}/evil\\x1b[2J\\rFAKE: ok\\n\\x9b31mline.pdf: 2 pages" in runs["ingest"].stderr
    stored = as_json(cli("documents", "--json", cwd=tmp_path, env=env))[0]["name"]  # JSON keeps the name as stored
    assert stored == "evil[2J FAKE: ok \x9b31mline.pdf"  # the store dropped C0 controls, not the C1 CSI
    assert runs["documents"].stdout.rstrip("\n").endswith("evil[2J FAKE: ok \\x9b31mline.pdf")
    assert "\\x9b2J" in runs["chats list"].stdout and "question\\x9b2J with\nits own lines" in runs["chats show"].stdout
