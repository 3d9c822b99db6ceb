"""The scripted LLM server speaks OpenAI's wire format well enough for the real ``openai`` client.

These tests pin that down so LLM tests elsewhere can trust a failure to be the application's, and they
document how the SDK reacts to each kind of scripted trouble (errors, retries, timeouts, cut streams).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.llm_server import Reply, ScriptedLLM, ToolCall

MODEL = "scripted-model"
USER = [{"role": "user", "content": "What is on sheet A-101?"}]
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture
def llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


@pytest.fixture
def client(llm: ScriptedLLM) -> Iterator[openai.OpenAI]:
    # max_retries=0: a scripted failure must surface as one exception, not be retried into the next reply.
    with openai.OpenAI(base_url=llm.base_url, api_key="x", max_retries=0, timeout=10) as sdk:
        yield sdk


def stream_chunks(client: openai.OpenAI, **kwargs: Any) -> list[Any]:
    return list(client.chat.completions.create(model=MODEL, messages=USER, stream=True, **kwargs))


def test_models_are_listed(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == [MODEL]


def test_plain_completion(llm: ScriptedLLM, client: openai.OpenAI) -> None:
    llm.add(Reply("A floor plan.", usage={"prompt_tokens": 12, "completion_tokens": 3}))

    completion = client.chat.completions.create(model="gpt-test", messages=USER, temperature=0)

    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == ("assistant", "A floor plan.", "stop")
    assert choice.message.tool_calls is None
    assert completion.model == "gpt-test"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (12, 3, 15)
    assert llm.requests == [{"model": "gpt-test", "messages": USER, "temperature": 0}]
    assert llm.last_request() == llm.requests[0]


def test_streamed_text_arrives_in_several_deltas_with_usage(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    text = "The sheet shows  the ground floor\nof building B."
    llm.add(Reply(text))

    chunks = stream_chunks(client, stream_options={"include_usage": True})

    *content_chunks, usage_chunk = chunks
    assert content_chunks[0].choices[0].delta.role == "assistant"
    pieces = [chunk.choices[0].delta.content for chunk in content_chunks if chunk.choices[0].delta.content]
    assert len(pieces) > 3
    assert "".join(pieces) == text
    assert [chunk.choices[0].finish_reason for chunk in content_chunks][-1] == "stop"
    assert usage_chunk.choices == [] and usage_chunk.usage is not None and usage_chunk.usage.completion_tokens > 0
    assert all(chunk.usage is None for chunk in content_chunks)


def test_stream_without_include_usage_has_no_usage_chunk(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    llm.add(Reply("Done."))

    chunks = stream_chunks(client)

    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)


def test_tool_calls_without_streaming(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    llm.add(
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo", "days": 2}), ToolCall("zoom", "{}", id="call_z")]),
        Reply(tool_calls=[ToolCall("zoom", {"x": 1})]),
    )

    first = client.chat.completions.create(model=MODEL, messages=USER, tools=[WEATHER_TOOL])
    second = client.chat.completions.create(model=MODEL, messages=USER, tools=[WEATHER_TOOL])

    assert first.choices[0].finish_reason == "tool_calls"
    calls = first.choices[0].message.tool_calls or []
    assert [(call.id, call.type, call.function.name) for call in calls] == [
        ("call_1", "function", "get_weather"),
        ("call_z", "function", "zoom"),
    ]
    assert json.loads(calls[0].function.arguments) == {"city": "Oslo", "days": 2}
    # Default ids keep counting across replies, so tool results can always be matched to their call.
    assert [call.id for call in second.choices[0].message.tool_calls or []] == ["call_2"]


def test_streamed_tool_calls_follow_openai_delta_shape(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    llm.add(Reply("Checking.", tool_calls=[ToolCall("get_weather", {"city": "Reykjavik", "days": 10})]))

    chunks = stream_chunks(client, tools=[WEATHER_TOOL])

    deltas = [call for chunk in chunks for call in chunk.choices[0].delta.tool_calls or []]
    opening, *fragments = deltas
    assert (opening.index, opening.id, opening.type) == (0, "call_1", "function")
    assert opening.function is not None and (opening.function.name, opening.function.arguments) == ("get_weather", "")
    assert len(fragments) > 1 and all(delta.id is None and delta.index == 0 for delta in fragments)
    arguments = "".join(delta.function.arguments or "" for delta in fragments if delta.function)
    assert json.loads(arguments) == {"city": "Reykjavik", "days": 10}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_sdk_stream_helper_assembles_tool_calls(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    """The SDK's own accumulator is the strictest judge of the chunk format: it merges deltas by index."""
    llm.add(
        Reply(
            tool_calls=[
                ToolCall("get_weather", {"city": "Oslo", "days": 1}),
                ToolCall("get_weather", {"city": "Bergen", "days": 3}),
            ]
        )
    )

    with client.chat.completions.stream(model=MODEL, messages=USER, tools=[WEATHER_TOOL]) as stream:
        final = stream.get_final_completion()

    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert [call.function.parsed_arguments for call in message.tool_calls or []] == [
        {"city": "Oslo", "days": 1},
        {"city": "Bergen", "days": 3},
    ]
    assert [call.id for call in message.tool_calls or []] == ["call_1", "call_2"]


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_tool_arguments_arrive_verbatim(client: openai.OpenAI, llm: ScriptedLLM, stream: bool) -> None:
    broken = '{"city": "Oslo", "days": '
    llm.add(Reply(tool_calls=[ToolCall("get_weather", broken)]))

    if stream:
        deltas = [call for chunk in stream_chunks(client) for call in chunk.choices[0].delta.tool_calls or []]
        arguments = "".join(delta.function.arguments or "" for delta in deltas if delta.function)
    else:
        calls = client.chat.completions.create(model=MODEL, messages=USER).choices[0].message.tool_calls or []
        arguments = calls[0].function.arguments

    assert arguments == broken


@pytest.mark.parametrize(
    ("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError), (400, openai.BadRequestError)]
)
@pytest.mark.parametrize("stream", [False, True])
def test_error_statuses_raise_the_matching_sdk_error(
    client: openai.OpenAI, llm: ScriptedLLM, status: int, error: type[openai.APIStatusError], stream: bool
) -> None:
    llm.add(Reply("scripted trouble", status=status))

    with pytest.raises(error, match="scripted trouble") as raised:
        client.chat.completions.create(model=MODEL, messages=USER, stream=stream)

    assert raised.value.status_code == status
    assert isinstance(raised.value.body, dict) and raised.value.body["message"] == "scripted trouble"
    assert len(llm.requests) == 1


def test_rate_limit_is_retried_promptly_by_the_sdk(llm: ScriptedLLM) -> None:
    """With the SDK's default retries a 429 is retried; retry-after-ms keeps that from costing ~0.5 s."""
    llm.add(Reply(status=429), Reply("Recovered."))

    with openai.OpenAI(base_url=llm.base_url, api_key="x") as retrying:
        started = time.monotonic()
        completion = retrying.chat.completions.create(model=MODEL, messages=USER)
        elapsed = time.monotonic() - started

    assert completion.choices[0].message.content == "Recovered."
    assert len(llm.requests) == 2
    assert elapsed < 0.3


def test_delay_beyond_client_timeout_raises_timeout(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    llm.add(Reply("Too late.", delay=5))

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).chat.completions.create(model=MODEL, messages=USER)

    assert time.monotonic() - started < 2


def test_exit_does_not_wait_out_a_pending_delay() -> None:
    with ScriptedLLM([Reply("Too late.", delay=30)]) as llm:
        with openai.OpenAI(base_url=llm.base_url, api_key="x", max_retries=0, timeout=0.2) as sdk:
            with pytest.raises(openai.APITimeoutError):
                sdk.chat.completions.create(model=MODEL, messages=USER)
        started = time.monotonic()
    assert time.monotonic() - started < 2


def test_cut_stream_raises_after_the_chunks_sent(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    llm.add(Reply("one two three four five", cut_stream_after=3))

    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in client.chat.completions.create(model=MODEL, messages=USER, stream=True):
            received.append(chunk)

    # The truncated chunked body surfaces as the transport error, wrapped as a connection error.
    assert isinstance(raised.value, openai.APIConnectionError)
    assert len(received) == 3


def test_images_and_tool_results_are_recorded(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    messages: list[Any] = [
        {"role": "user", "content": [{"type": "text", "text": "Zoom in."}, {"type": "image_url", "image_url": {"url": data_url}}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "zoom", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "zoomed"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_url, "detail": "high"}}]},
    ]
    llm.add(Reply("I see a door."))

    client.chat.completions.create(model=MODEL, messages=messages)

    request = llm.last_request()
    assert llm.images_in(request) == [png, png]
    assert llm.tool_results_in(request) == [{"role": "tool", "tool_call_id": "call_1", "content": "zoomed"}]


def test_exhausted_script_is_a_loud_error_that_the_sdk_does_not_retry(llm: ScriptedLLM) -> None:
    llm.add(Reply("Only answer."))

    with openai.OpenAI(base_url=llm.base_url, api_key="x") as retrying:
        retrying.chat.completions.create(model=MODEL, messages=USER)
        with pytest.raises(openai.InternalServerError, match="script exhausted"):
            retrying.chat.completions.create(model=MODEL, messages=USER)

    assert len(llm.requests) == 2
    assert llm.remaining == 0


def test_raw_body_is_sent_verbatim(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    """Malformed JSON is not wrapped in an openai error by the SDK: callers see json's own ValueError."""
    llm.add(Reply(raw_body="{not json"))

    with pytest.raises(ValueError):
        client.chat.completions.create(model=MODEL, messages=USER)


def test_script_from_constructor_and_add_is_consumed_in_order() -> None:
    with ScriptedLLM([Reply("first")]) as llm:
        llm.add(Reply("second"), Reply("third"))
        with openai.OpenAI(base_url=llm.base_url, api_key="x", max_retries=0) as sdk:
            answers = [sdk.chat.completions.create(model=MODEL, messages=USER).choices[0].message.content for _ in range(3)]
    assert answers == ["first", "second", "third"]
    assert llm.remaining == 0


def test_concurrent_requests_each_get_one_reply(client: openai.OpenAI, llm: ScriptedLLM) -> None:
    count = 12
    llm.add(*(Reply(f"answer {n}") for n in range(count)))
    answers: list[str | None] = []
    lock = threading.Lock()

    def ask(n: int) -> None:
        messages = [{"role": "user", "content": f"question {n}"}]
        content = client.chat.completions.create(model=MODEL, messages=messages).choices[0].message.content  # type: ignore[arg-type]
        with lock:
            answers.append(content)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == sorted(f"answer {n}" for n in range(count))
    assert sorted(request["messages"][0]["content"] for request in llm.requests) == sorted(
        f"question {n}" for n in range(count)
    )


def test_servers_in_sequence_release_their_ports() -> None:
    ports = []
    for answer in ("first run", "second run"):
        with ScriptedLLM([Reply(answer)]) as llm:
            with openai.OpenAI(base_url=llm.base_url, api_key="x", max_retries=0) as sdk:
                assert sdk.chat.completions.create(model=MODEL, messages=USER).choices[0].message.content == answer
            ports.append(int(llm.base_url.rsplit(":", 1)[1].split("/")[0]))
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", ports[-1]), timeout=1).close()
        with pytest.raises(RuntimeError):
            llm.base_url  # noqa: B018 - the property itself is under test
    assert not any(thread.name == "scripted-llm" for thread in threading.enumerate())
