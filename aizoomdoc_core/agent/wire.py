"""The OpenAI Chat Completions wire format: messages, image parts, streamed deltas, tool calls.

Everything here is the shape any OpenAI-compatible server (OpenAI, OpenRouter, Gemini's endpoint,
vLLM, llama.cpp, Ollama) speaks; the model loop above it deals in text, calls and results. A
streamed tool call arrives in pieces (its id, then its name and its arguments in fragments, keyed
by index): ``complete`` puts them together. A failure of the server becomes a ``ModelFailure``
that says, in the question's language, what happened.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import AizoomdocError
from ..events import AnswerDelta, Event
from .texts import LOGGED, Texts

if TYPE_CHECKING:
    from openai import OpenAI

Wire = dict[str, Any]  # one message as the API takes it


class ModelFailure(AizoomdocError):
    """The model could not give an answer (unreachable, timed out, refused the request, said nothing).

    ``said`` words it in any language's texts; the exception's own text is the English one, for logs.
    """

    def __init__(self, said: Callable[[Texts], str]) -> None:
        super().__init__(said(LOGGED))
        self.said = said


@dataclass
class Call:
    """One tool call of the model: ``arguments`` is the JSON text it sent, as it sent it."""

    id: str
    name: str
    arguments: str


@dataclass
class Completion:
    content: str
    calls: list[Call]
    cut: bool  # the server stopped at its length limit: the content is partial


@dataclass(frozen=True)
class Picture:
    """An image for a vision model, with the marker it is cited by."""

    marker: str
    mime: str
    png: bytes


def text_message(role: str, content: str) -> Wire:
    return {"role": role, "content": content}


def user_message(text: str, pictures: Sequence[Picture] = ()) -> Wire:
    """The text, and when there are pictures, the text then each picture after its marker."""
    if not pictures:
        return text_message("user", text)
    parts: list[Wire] = [{"type": "text", "text": text}]
    for picture in pictures:
        data = base64.b64encode(picture.png).decode("ascii")
        parts.append({"type": "text", "text": f"[{picture.marker}]"})
        parts.append({"type": "image_url", "image_url": {"url": f"data:{picture.mime};base64,{data}"}})
    return {"role": "user", "content": parts}


def assistant_message(completion: Completion) -> Wire:
    message: Wire = {"role": "assistant", "content": completion.content or None}
    if completion.calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in completion.calls
        ]
    return message


def tool_message(call: Call, result: str) -> Wire:
    return {"role": "tool", "tool_call_id": call.id, "content": result}


def complete(
    client: OpenAI, request: Wire, *, timeout: float, usage: Counter[str]
) -> Generator[Event, None, Completion]:
    """One streamed completion: text deltas are yielded as they come, tool calls are put together,
    token usage is added to ``usage`` (a server may send none)."""
    import openai

    content: list[str] = []
    calls: dict[int, Call] = {}
    cut = False
    answered = False  # the server sent its response head: a failure after this broke the answer off
    try:
        stream = client.chat.completions.create(**{**request, "stream": True, "stream_options": {"include_usage": True}})
        answered = True
        for chunk in stream:
            if chunk.usage:
                usage.update({"prompt_tokens": chunk.usage.prompt_tokens or 0,
                              "completion_tokens": chunk.usage.completion_tokens or 0})
            for choice in chunk.choices:
                cut = cut or choice.finish_reason == "length"
                delta = choice.delta
                if delta.content:
                    content.append(delta.content)
                    yield AnswerDelta(text=delta.content, from_model=True)
                for part in delta.tool_calls or []:
                    call = calls.setdefault(part.index, Call(id="", name="", arguments=""))
                    call.id = part.id or call.id
                    if part.function:
                        call.name += part.function.name or ""
                        call.arguments += part.function.arguments or ""
    except openai.APITimeoutError:
        raise ModelFailure(lambda t: t.timed_out.format(seconds=f"{timeout:g}")) from None
    except openai.APIStatusError as exc:
        status = exc.status_code
        raise ModelFailure(lambda t: t.refused.format(status=status)) from None
    except (openai.APIError, ValueError) as exc:
        if isinstance(exc, openai.APIConnectionError) and not answered:  # nothing came: no answer to break off
            raise ModelFailure(lambda t: t.unreachable) from None
        error = type(exc).__name__
        raise ModelFailure(lambda t: t.broke_off.format(error=error)) from None
    ordered = [calls[i] for i in sorted(calls)]
    for number, call in enumerate(ordered):
        call.id = call.id or f"call_{number}"
    return Completion("".join(content), ordered, cut)
