"""The app in Streamlit's AppTest and as a real server: ask, see the answer and images, find it in History."""

from __future__ import annotations

import io
import logging
import re
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_ui.chat_view import step_line
from tests.conftest import CORPUS, ROOT
from tests.llm_server import Reply, ScriptedLLM, ToolCall
from tests.services import StreamlitServer, free_port, running


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with one drawing ingested, used by the app through AIZOOMDOC_DATA_DIR."""
    folder = tmp_path / "data"
    app = Aizoomdoc.open(Settings.load(data_dir=folder, environ={}, dotenv_path=None))
    assert app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf").status == "ok"
    app.close()
    for name in ("DATABASE_URL", "S3_BUCKET", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIZOOMDOC_DATA_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def app_test() -> AppTest:
    st.cache_resource.clear()  # the core is cached per process: each test opens its own storage
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_ask_then_find_the_chat_in_history(data: Path) -> None:
    at = app_test()
    assert any(c.value == "Chats and files are kept on this computer." for c in at.sidebar.caption)
    assert any(c.value.startswith("No model configured") for c in at.sidebar.caption)
    at.chat_input[0].set_value("Перечень элементов импульсного модулятора").run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Перечень элементов импульсного модулятора"
    answers = [m for m in at.chat_message if m.name == "assistant"]
    assert answers and "Модель не запрашивалась" in answers[0].markdown[0].value
    images = at.get("image")
    assert images, "the answer shows its images inline"
    chat_id = at.query_params["chat"]
    assert chat_id
    # under a Russian question, in Russian: each source names its page and starts its block's text, so two differ
    assert any(e.label.startswith("Источники (") for e in at.expander)
    labels = [b.label for b in at.button if str(b.key).startswith("source-")]
    assert labels and len(set(labels)) == len(labels) and all("стр" in label and "«" in label for label in labels)
    links = at.get("page_link")
    locators = [i for i in images if "Где это на листе" in str(i.proto)]  # a crop's place on its sheet, small
    assert len(links) == len(images) - len(locators), "every image but a locator opens its page in the viewer"
    assert all(link.proto.page == "pages/documents.py" or "documents" in link.proto.page for link in links)
    assert not at.get("bidi_component")
    source = next(b for b in at.button if str(b.key).startswith("source-"))
    source.click().run()  # a citation opens its page in the viewer, at the region, outlined
    assert not at.exception, at.exception
    assert len(at.get("bidi_component")) == 1 and len(at.get("image")) == len(images)

    at.switch_page("pages/history.py").run()
    assert not at.exception, at.exception
    assert any("Перечень элементов" in m.value for m in at.markdown)
    assert any(c.value == "in " + markup.inline("C02_ru_perechen_elementov_PE3.pdf") for c in at.caption)
    at.button(key=f"open-{chat_id[0] if isinstance(chat_id, list) else chat_id}").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Перечень элементов импульсного модулятора"
    assert len(at.get("image")) == len(images)


def test_a_new_chat_offers_questions_about_the_users_own_documents(data: Path) -> None:
    at = app_test()
    assert any(c.value.startswith("Ask in your own words") for c in at.caption)  # what it can and cannot do
    offered = [b for b in at.button if str(b.key).startswith("example-")]
    assert [b.label for b in offered] == [markup.inline(q) for q in (
        "What is on sheet МГТУ.436421.001ПЭ3?", "Who signed sheet МГТУ.436421.001ПЭ3, and when?",
        "What scale is sheet МГТУ.436421.001ПЭ3 drawn at?")]  # the document's own sheet code
    offered[1].click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == markup.inline("Who signed sheet МГТУ.436421.001ПЭ3, and when?")
    reader = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    (document,) = reader.list_documents()
    reader.close()
    assert at.multiselect[0].value == [document.id]  # asked in a chat scoped to that document
    assert not [b for b in at.button if str(b.key).startswith("example-")]


def test_a_russian_session_speaks_russian(data: Path) -> None:
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["ui_language"] = "ru"  # as the sidebar's choice leaves it (the browser test picks it there)
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Новый чат"
    assert at.sidebar.caption[0].value == "Чаты и файлы хранятся на этом компьютере."
    at.chat_input[0].set_value("Перечень элементов").run()
    assert not at.exception, at.exception
    at.switch_page("pages/history.py").run()
    assert at.title[0].value == "История"
    assert any(m.value.endswith("· 2 сообщения") for m in at.markdown)
    assert {b.label for b in at.button} >= {"Открыть", "Переименовать", "Удалить"}


def test_the_models_steps_are_shown_again_when_the_chat_is_reopened(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The status box's lines of each tool call, live, are the lines History shows of the stored steps."""
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    (document,) = app.list_documents()
    app.close()
    script = [
        Reply(tool_calls=[ToolCall("view_page", {"document_id": document.id, "page": 1})]),
        Reply(tool_calls=[ToolCall("zoom", {"document_id": document.id, "page": 1, "bbox": [0, 0, 0.5, 0.3]})]),
        Reply(tool_calls=[ToolCall("search_documents", {"query": "резистор"})]),
        Reply(content="Резисторы R1–R4 [B1]."),
    ]
    with ScriptedLLM(script) as llm:
        for name, value in {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "test-key", "LLM_MODEL": "scripted-model"}.items():
            monkeypatch.setenv(name, value)
        at = app_test()
        at.chat_input[0].set_value("Какие резисторы?").run()
        assert not at.exception, at.exception
    chat_id = at.query_params["chat"]
    chat_id = chat_id[0] if isinstance(chat_id, list) else chat_id
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    steps = app.chat_view(chat_id).steps
    app.close()
    lines = [step_line(s.name, s.summary) for s in steps]
    assert [s.name for s in steps] == ["view_page", "zoom", "search_documents"]

    def shown_steps(at: AppTest) -> list[str]:
        (expander,) = [e for e in at.expander if e.label.startswith("Шаги модели")]  # the question's language
        assert expander.label == "Шаги модели (3)"
        return [m.value for m in expander.markdown]

    assert shown_steps(at) == lines  # the chat as it stands after the answer (the page reran)
    at.switch_page("pages/history.py").run()
    at.button(key=f"open-{chat_id}").click().run()
    assert not at.exception, at.exception
    assert shown_steps(at) == lines


def test_documents_page_lists_and_searches(data: Path) -> None:
    at = app_test()
    at.switch_page("pages/documents.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["name"]) == ["C02_ru_perechen_elementov_PE3.pdf"] and list(table["pages"]) == [2]
    assert list(table["sheets"]) == ["МГТУ.436421.001ПЭ3"]
    assert not at.get("image"), "the sheet is shown by the viewer, no static picture"
    assert len(at.get("bidi_component")) == 1
    at.text_input[0].set_value("Импульсный модулятор").run()
    assert any(markup.inline("C02_ru_perechen_elementov_PE3.pdf") in m.value for m in at.markdown)
    assert not at.exception


def test_documents_page_checks_the_sheets_against_the_drawing_list(data: Path) -> None:
    """A set without a drawing list says so and lists its sheets as their stamps name them (the
    checks themselves: tests/test_sheet_index.py); in Russian for a Russian reader."""
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["ui_language"] = "ru"
    at.run()
    at.switch_page("pages/documents.py").run()
    assert len(at.dataframe) == 1, "nothing is checked until it is asked for"
    at.toggle(key="sheets_check").set_value(True).run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Ведомость чертежей не найдена") for c in at.caption)
    sheets = at.dataframe[1].value
    # both sheets carry the set's code, so each is named by its sheet number
    assert list(sheets["шифр"]) == ["1", "2"] and list(sheets["состояние"]) == ["не проверен"] * 2


def test_documents_page_opens_the_viewer_where_the_address_says(data: Path) -> None:
    at = app_test()
    at.switch_page("pages/documents.py").run()
    document = at.selectbox(key="viewer_document").value
    for query, reason in [
        ({"document": document, "page": "2", "region": "0.1,0.2,0.5,0.4"}, None),
        ({"document": "not-an-id"}, "no such document"),
        ({"document": document, "page": "3"}, "page 3 of 2"),
        ({"document": document, "page": "two"}, "page is a number from 1"),
        ({"document": document, "region": "0.5,0.2,0.1"}, "region is x0,y0,x1,y1"),
        ({"document": document, "region": "nan,0,1,1"}, "region is x0,y0,x1,y1 between 0 and 1, x0 < x1 and y0 < y1"),
    ]:
        notice = reason and f"The link does not name a page to open ({markup.inline(reason)})."
        at.query_params.clear()
        at.query_params.update(query)
        at.run()
        assert not at.exception, (query, at.exception)
        notices = [i.value for i in at.info if "The link" in i.value]
        assert notices == ([notice] if notice else []), (query, notices)
        assert len(at.get("bidi_component")) == 1  # the viewer is there either way


def test_documents_page_says_when_ocr_is_off_and_how_to_turn_it_on(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_test()
    at.switch_page("pages/documents.py").run()
    assert not any("OCR is off" in w.value for w in at.warning)  # the test command installs Tesseract
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # a folder without Tesseract's language data
    at.run()
    (warning,) = [w.value for w in at.warning if "OCR is off" in w.value]
    assert "tesseract-ocr-rus" in warning and "bash run.sh" in warning


def test_documents_page_shows_how_far_search_by_meaning_is(data: Path) -> None:
    """The core indexes in the background from the start: the list says how far, then "ready"."""
    at = app_test()
    at.switch_page("pages/documents.py").run()
    (shown,) = at.dataframe[0].value["search by meaning"]
    assert shown == "ready" or re.fullmatch(r"\d+ of \d+ blocks", shown)
    reader = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    try:
        for _ in range(600):
            (progress,) = reader.dense_progress([d.id for d in reader.list_documents()]) or []
            if progress.done == progress.total:
                break
            time.sleep(0.1)
    finally:
        reader.close()
    at.run()
    assert list(at.dataframe[0].value["search by meaning"]) == ["ready"] and not at.exception


def test_a_guessed_chat_id_of_another_user_shows_nothing(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = Aizoomdoc.open(Settings.load(data_dir=data, environ={"AIZOOMDOC_USER": "alice"}, dotenv_path=None))
    secret = owner.create_chat("Alice's chat")
    owner.add_message(secret.id, "user", "alice's private question")
    owner.close()
    monkeypatch.setenv("AIZOOMDOC_USER", "bob")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.query_params["chat"] = secret.id
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "New chat" and any("does not exist" in w.value for w in at.warning)
    assert not any("private question" in m.value for m in at.markdown)
    at.switch_page("pages/history.py").run()
    assert not any("Alice" in m.value for m in at.markdown)


def test_streamlit_run_serves_the_app(tmp_path: Path) -> None:
    with running(StreamlitServer(tmp_path / "data")) as server:  # started: its health endpoint answered
        with urllib.request.urlopen(f"{server.url}/", timeout=5) as page:
            assert b"<title>Streamlit</title>" in page.read()


def test_sidebar_says_when_the_cloud_is_away_and_what_waits(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql://app:secret-pw-7@127.0.0.1:{free_port()}/db"
    monkeypatch.setenv("DATABASE_URL", url)
    at = app_test()
    warnings = [w.value for w in at.sidebar.warning]
    assert any("postgresql is unreachable" in w and "kept locally" in w for w in warnings), warnings
    at.chat_input[0].set_value("Перечень элементов").run()
    assert not at.exception, at.exception
    answers = [m for m in at.chat_message if m.name == "assistant"]
    assert answers and "Документы сейчас недоступны для поиска" in answers[0].markdown[0].value
    # What the question left in the spool is counted by the sidebar of the next session.
    at = app_test()
    assert any(i.value == "4 items wait to be sent to the cloud." for i in at.sidebar.info), [i.value for i in at.sidebar.info]
    shown = " ".join(str(e.value) for e in [*at.sidebar.warning, *at.sidebar.info, *at.markdown])
    assert "secret-pw-7" not in shown



def test_a_malformed_database_url_starts_the_app_on_sqlite_without_its_password(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:Secret-st-9")  # the password reads as a port
    at = app_test()
    said = "cannot be used (" + markup.inline("DATABASE_URL is not a valid connection URL") + ")"
    assert any(said in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]
    assert any(c.value == "Chats and files are kept on this computer." for c in at.sidebar.caption)
    at.switch_page("pages/documents.py").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["name"]) == ["C02_ru_perechen_elementov_PE3.pdf"]  # the local documents
    kinds = ("title", "markdown", "caption", "warning", "error", "info", "success", "text", "code", "toast")
    shown = " ".join(str(getattr(e, "value", "")) for kind in kinds for e in at.get(kind))
    assert shown and "Secret-st-9" not in shown


def test_a_visitor_never_sees_a_traceback_but_the_server_logs_it() -> None:
    configured = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"]["showErrorDetails"]
    before = st.config.get_option("client.showErrorDetails")
    server_log = io.StringIO()
    handler = logging.StreamHandler(server_log)
    logging.getLogger("streamlit.error_util").addHandler(handler)  # where Streamlit logs an app's exception
    st.config.set_option("client.showErrorDetails", configured)  # AppTest does not read the project's config
    try:
        at = AppTest.from_string("raise RuntimeError('detail-7 of a failure')")
        at.run()
    finally:
        st.config.set_option("client.showErrorDetails", before)
        logging.getLogger("streamlit.error_util").removeHandler(handler)
    shown = at.exception[0]
    assert "detail-7" not in shown.value and shown.stack_trace == [] and "redacted" in shown.value
    assert "Traceback" in server_log.getvalue() and "RuntimeError: detail-7 of a failure" in server_log.getvalue()


def test_the_browser_refuses_uploads_over_the_cores_limit(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload widgets carry AIZOOMDOC_MAX_FILE_MB, so the browser refuses a larger file before
    sending it, instead of the server holding it in memory until the core refuses it."""
    monkeypatch.setenv("AIZOOMDOC_MAX_FILE_MB", "42")
    at = app_test()
    assert at.get("chat_input")[0].proto.max_upload_size_mb == 42
    at.switch_page("pages/documents.py").run()
    assert not at.exception, at.exception
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 42
