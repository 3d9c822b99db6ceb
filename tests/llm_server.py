"""A scripted OpenAI-compatible chat server, so LLM code is tested through the real ``openai`` client.

No LLM service is reachable from the test machine, and mocking the SDK would hide exactly the parts that
break in production: wire format, streaming, retries, timeouts and error mapping. Instead each
``POST /v1/chat/completions`` consumes the next scripted :class:`Reply`, and the server records every
request body so tests can assert on what the application sent (prompts, images, tool results).

Standard library only: a ``ThreadingHTTPServer`` on ``127.0.0.1`` and a free port, run in a background
thread for the duration of a ``with ScriptedLLM(...)`` block.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

JSON = dict[str, Any]

# Tool-call arguments are streamed in fragments this long, like the token-sized pieces OpenAI sends,
# so clients must concatenate them rather than expect one complete JSON document per delta.
ARGUMENT_FRAGMENT_CHARS = 8

# The OpenAI error "type" and "code" for the statuses tests are likely to script.
_ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass
class ToolCall:
    """One function call made by the scripted assistant."""

    name: str
    # A dict is serialised; a string is sent verbatim so tests can feed the application malformed JSON.
    arguments: str | dict[str, Any]
    # None lets the server number calls "call_1", "call_2", ... uniquely across the whole script, so the
    # tool_call_id the application echoes back can be matched to the call that caused it.
    id: str | None = None

    def arguments_text(self) -> str:
        """The arguments exactly as they go on the wire."""
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """One scripted response; each chat completion request consumes the next one."""

    # Assistant text; for an error status it becomes the error message.
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    # Anything but 200 is answered with an OpenAI-style {"error": {...}} body.
    status: int = 200
    # Seconds to wait before answering, to trip client timeouts.
    delay: float = 0.0
    # When streaming, drop the connection after this many chunks, with no [DONE] and no end of body.
    cut_stream_after: int | None = None
    # Sent verbatim as the whole body (JSON or SSE, depending on the request) instead of a generated one.
    raw_body: str | None = None
    # Overrides the rough default token counts; total_tokens is summed unless given.
    usage: dict[str, int] | None = None


class ScriptedLLM:
    """Context manager serving scripted chat completions at :attr:`base_url` while the block runs.

    Replies are consumed in order, whichever thread or connection asks; when the script runs out the
    server answers 500 "script exhausted" so a test that makes more LLM calls than it expected fails loudly.
    """

    def __init__(self, script: Iterable[Reply] | None = None, models: Sequence[str] = ("scripted-model",)) -> None:
        self._script: deque[Reply] = deque(script or ())
        self.models = list(models)
        self._requests: list[JSON] = []
        self._tool_calls_made = 0
        # Guards the script, the recorded requests and the call counter: handlers run on their own threads.
        self._lock = threading.Lock()
        # Set on exit so a handler sleeping out a Reply.delay wakes up instead of holding shutdown hostage.
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ScriptedLLM:
        self._closing.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-llm", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None, "ScriptedLLM was not started"
        self._closing.set()
        self._server.shutdown()
        self._thread.join()
        # Closes the listening socket and joins every handler thread, so nothing outlives the block.
        self._server.server_close()
        self._server = None
        self._thread = None

    @property
    def base_url(self) -> str:
        """The URL to give ``openai.OpenAI(base_url=...)``."""
        if self._server is None:
            raise RuntimeError("ScriptedLLM is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[JSON]:
        """A snapshot of the chat completion request bodies received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def remaining(self) -> int:
        """How many scripted replies are still unconsumed, so a test can check the script was used up."""
        with self._lock:
            return len(self._script)

    def add(self, *replies: Reply) -> None:
        """Append replies to the script, e.g. after inspecting the requests a first step produced."""
        with self._lock:
            self._script.extend(replies)

    def last_request(self) -> JSON:
        """The most recent chat completion request body."""
        with self._lock:
            if not self._requests:
                raise AssertionError("the scripted LLM has received no chat completion request")
            return self._requests[-1]

    @staticmethod
    def images_in(request: JSON) -> list[bytes]:
        """The decoded base64 data-URL images of a request's messages, in order.

        Images given by http(s) URL carry no bytes to decode and are skipped; bad base64 raises, since
        it means the application built a broken data URL.
        """
        images = []
        for message in request.get("messages", []):
            content = message.get("content")
            if not isinstance(content, list):
                continue
            for part in content:
                if not (isinstance(part, dict) and part.get("type") == "image_url"):
                    continue
                header, _, data = part["image_url"]["url"].partition(",")
                if header.startswith("data:") and header.endswith(";base64"):
                    images.append(base64.b64decode(data, validate=True))
        return images

    @staticmethod
    def tool_results_in(request: JSON) -> list[JSON]:
        """The ``role == "tool"`` messages of a request: what the application reported back to the model."""
        return [message for message in request.get("messages", []) if message.get("role") == "tool"]

    def _take(self, request: JSON) -> tuple[int, Reply | None, list[str]]:
        """Record a request and pop its reply: (request number, reply or None if exhausted, tool call ids)."""
        with self._lock:
            self._requests.append(request)
            number = len(self._requests)
            if not self._script:
                return number, None, []
            reply = self._script.popleft()
            ids = []
            for call in reply.tool_calls:
                if call.id is None:
                    self._tool_calls_made += 1
                ids.append(call.id or f"call_{self._tool_calls_made}")
            return number, reply, ids


class _Server(ThreadingHTTPServer):
    """Binds 127.0.0.1 on a free port and knows the ScriptedLLM its handlers serve."""

    # Non-daemon handler threads are what server_close() joins, so shutdown is complete, not best effort.
    daemon_threads = False
    block_on_close = True

    def __init__(self, llm: ScriptedLLM) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.llm = llm


class _Handler(BaseHTTPRequestHandler):
    """Answers /v1/models and /v1/chat/completions; one request per connection."""

    # Chunked transfer encoding needs HTTP/1.1; it is what lets a cut stream look truncated to the client.
    protocol_version = "HTTP/1.1"
    # A client that connects but never sends a request must not block shutdown for long.
    timeout = 10
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Keep test output clean; the recorded requests are the log."""

    def do_GET(self) -> None:
        self.close_connection = True
        if urlsplit(self.path).path.rstrip("/") != "/v1/models":
            self._send_error(404, f"no route for GET {self.path}")
            return
        models = [{"id": m, "object": "model", "created": 0, "owned_by": "scripted"} for m in self.server.llm.models]
        self._send_json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        # One request per connection: keep-alive would leave handler threads parked on idle sockets.
        self.close_connection = True
        if urlsplit(self.path).path.rstrip("/") != "/v1/chat/completions":
            self._send_error(404, f"no route for POST {self.path}")
            return
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        except ValueError as err:
            self._send_error(400, f"request body is not JSON: {err}")
            return
        if not isinstance(request, dict):
            self._send_error(400, "request body must be a JSON object")
            return
        number, reply, call_ids = self.server.llm._take(request)
        try:
            if reply is None:
                # x-should-retry stops the SDK from retrying into the same wall (and waiting to do so).
                message = f"script exhausted: request {number} has no scripted reply"
                self._send_error(500, message, code="script_exhausted", headers={"x-should-retry": "false"})
                return
            if reply.delay and self.server.llm._closing.wait(reply.delay):
                return  # shutting down: drop the connection instead of answering late
            self._answer(request, number, reply, call_ids)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, e.g. it timed out during Reply.delay; nobody is left to answer

    def _answer(self, request: JSON, number: int, reply: Reply, call_ids: list[str]) -> None:
        streaming = bool(request.get("stream"))
        if reply.raw_body is not None:
            content_type = "text/event-stream" if streaming else "application/json"
            self._send_body(reply.status, reply.raw_body.encode(), content_type)
        elif reply.status != 200:
            self._send_error(reply.status, reply.content or f"scripted error {reply.status}")
        elif streaming:
            self._stream(_chunks(request, number, reply, call_ids), reply.cut_stream_after)
        else:
            self._send_json(200, _completion(request, number, reply, call_ids))

    def _send_json(self, status: int, body: JSON, headers: dict[str, str] | None = None) -> None:
        self._send_body(status, json.dumps(body).encode(), "application/json", headers)

    def _send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_error(
        self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        kind, default_code = _ERROR_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
        error = {"message": message, "type": kind, "param": None, "code": code or default_code}
        if status == 429:
            # The SDK ignores "retry-after: 0" (it only honours delays > 0) and backs off 0.5-8 s instead;
            # retry-after-ms takes precedence and makes its retries near-instant.
            headers = {"retry-after": "0", "retry-after-ms": "1", **(headers or {})}
        self._send_json(status, {"error": error}, headers)

    def _stream(self, chunks: list[JSON], cut_after: int | None) -> None:
        """Send Server-Sent Events, one HTTP chunk per event, flushed so the client sees them arrive."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for sent, chunk in enumerate(chunks):
            if cut_after is not None and sent >= cut_after:
                # Returning closes the socket without the terminating zero-length chunk, so the client
                # sees an incomplete body rather than a stream that merely ended early.
                return
            self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        if cut_after is not None:
            return
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def _completion(request: JSON, number: int, reply: Reply, call_ids: list[str]) -> JSON:
    """A non-streaming ChatCompletion body."""
    message: JSON = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments_text()}}
            for call, call_id in zip(reply.tool_calls, call_ids)
        ]
    return {
        **_envelope(request, number, "chat.completion"),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish_reason(reply)}],
        "usage": _usage(request, reply),
    }


def _chunks(request: JSON, number: int, reply: Reply, call_ids: list[str]) -> list[JSON]:
    """The ChatCompletionChunk sequence OpenAI would stream for this reply, without the [DONE] marker."""
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    envelope = _envelope(request, number, "chat.completion.chunk")
    if include_usage:
        envelope["usage"] = None  # OpenAI marks every chunk but the last with a null usage

    def chunk(delta: JSON, finish_reason: str | None = None) -> JSON:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**envelope, "choices": [choice]}

    chunks = [chunk({"role": "assistant", "content": "" if reply.content is not None else None, "refusal": None})]
    # Split before each word, keeping whitespace, so the deltas concatenate back to the exact text.
    chunks += [chunk({"content": piece}) for piece in re.split(r"(?<=\s)(?=\S)", reply.content or "") if piece]
    for index, (call, call_id) in enumerate(zip(reply.tool_calls, call_ids)):
        opening = {"index": index, "id": call_id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        chunks.append(chunk({"tool_calls": [opening]}))
        arguments = call.arguments_text()
        for start in range(0, len(arguments), ARGUMENT_FRAGMENT_CHARS):
            fragment = arguments[start : start + ARGUMENT_FRAGMENT_CHARS]
            chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}))
    chunks.append(chunk({}, _finish_reason(reply)))
    if include_usage:
        chunks.append({**envelope, "choices": [], "usage": _usage(request, reply)})
    return chunks


def _envelope(request: JSON, number: int, kind: str) -> JSON:
    """Fields shared by a completion and all its chunks; the model is echoed as real servers do."""
    return {
        "id": f"chatcmpl-scripted-{number}",
        "object": kind,
        "created": int(time.time()),
        "model": request.get("model", ""),
        "system_fingerprint": "scripted",
    }


def _finish_reason(reply: Reply) -> str:
    return "tool_calls" if reply.tool_calls else "stop"


def _usage(request: JSON, reply: Reply) -> JSON:
    """Token counts at roughly four characters per token, unless the reply scripts its own."""
    prompt_chars = sum(len(text) for text in _prompt_texts(request))
    completion_chars = len(reply.content or "") + sum(len(call.arguments_text()) for call in reply.tool_calls)
    usage = {"prompt_tokens": max(1, prompt_chars // 4), "completion_tokens": max(1, completion_chars // 4)}
    usage.update(reply.usage or {})
    usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
    return usage


def _prompt_texts(request: JSON) -> Iterable[str]:
    """The text of every message; images are left out since their base64 length says nothing about tokens."""
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            yield from (part.get("text", "") for part in content if isinstance(part, dict))
