"""The conversation with the model for one question: its turns, its tool calls, and their guards.

The model gets the question with the hits and the images already shown, then works with the tools
under guards: a step limit (the last turn offers no tools, so it must answer), the image budget of
the tools, the same call a third time ending the loop. Each call it makes is shown to the user
(``ToolCalled``) and kept as a row of the chat, so History shows how the model looked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from ..events import Event, Notice, ToolCalled
from ..llm import make_client
from ..models import ChatImage, Message
from ..question import Question
from .evidence import Evidence, hit_line, marker
from .texts import Texts, texts_for
from .tools import Context, Toolbox
from .wire import Completion, ModelFailure, Picture, Wire, assistant_message, complete, text_message, tool_message, user_message

PROMPTS = Path(__file__).parent.parent / "prompts"
REPEATS = 3  # the same call this many times ends the loop


class ModelLoop:
    """The model's turns for one question, with ``toolbox`` in ``context``."""

    def __init__(
        self, settings: Settings, toolbox: Toolbox, context: Context, question: Question, missing: Sequence[str] = ()
    ) -> None:
        self.settings, self.toolbox, self.context, self.question = settings, toolbox, context, question
        self.missing = list(missing)  # codes of the question no block in scope holds (``codes``)
        self.client = make_client(settings, timeout=settings.llm_timeout, max_retries=1)
        self.repeats: Counter[str] = Counter()
        self.usage: Counter[str] = Counter()

    @property
    def model(self) -> str:
        return self.settings.llm_model

    @property
    def texts(self) -> Texts:
        return texts_for(self.question.language)

    @property
    def evidence(self) -> Evidence:
        return self.context.evidence

    def run(self, history: list[Message]) -> Generator[Event, None, tuple[str, dict[str, int]]]:
        """The answer and the token usage; the answer's text was yielded as it streamed."""
        messages = [text_message("system", (PROMPTS / f"system_{self.question.language}.md").read_text(encoding="utf-8"))]
        messages += [text_message(m.role, m.content) for m in history if m.role in ("user", "assistant") and m.content]
        messages.append(self._first_message())
        answer: list[str] = []
        for step in range(self.settings.max_steps):
            completion = yield from self._complete(messages, tools=step < self.settings.max_steps - 1)
            answer.append(completion.content)
            messages.append(assistant_message(completion))
            if not completion.calls:
                break
            images: list[ChatImage] = []
            stop = False
            for call in completion.calls:
                key = f"{call.name}:{call.arguments}"
                self.repeats[key] += 1
                if self.repeats[key] >= REPEATS:
                    stop, result = True, "Refused: the same request a third time."
                else:
                    result, shown = yield from self._call(call.name, call.arguments)
                    images += shown
                messages.append(tool_message(call, result))
            if images and self.settings.llm_vision:
                messages.append(user_message("Images from the tools above:", self._pictures(images)))
            if stop:
                yield Notice(text=self.texts.repeated)
                completion = yield from self._complete(messages, tools=False)
                answer.append(completion.content)
                break
        text = "".join(answer).strip()
        if not text:  # a small local model can end its turn at once: a blank answer, saying nothing of why
            raise ModelFailure(lambda t: t.empty_answer)
        return text, dict(self.usage)

    def _call(self, name: str, arguments: str) -> Generator[Event, None, tuple[str, list[ChatImage]]]:
        """Run one call, keep it as a row of the chat, show it: (result for the model, its images)."""
        step = yield from self.toolbox.call(name, arguments, self.context)
        images = step.outcome.images
        self.evidence.log.add_step(self.evidence.answer, step.name, step.arguments, step.summary, [i.id for i in images])
        yield ToolCalled(name=step.name, arguments=step.arguments, summary=step.summary)
        return step.outcome.result, images

    def _first_message(self) -> Wire:
        lines = [self.question.text, ""]
        if self.missing:
            lines += [f"Printed nowhere in the documents searched: {', '.join(self.missing)}. Say so first; "
                      "never present a similar code as the one asked for.", ""]
        lines += ["Search results (cite as [Bn]):"]
        lines += [hit_line(key, hit) for key, hit in self.evidence.hits.items()] or ["(none)"]
        shown = self.evidence.images
        if shown:
            lines += ["", "Images already shown to the user (cite as [In]):"]
            lines += [f"[{marker(image)}] {image.kind} of {image.metadata.get('caption')}, "
                      f"document_id {image.document_id}, bbox {image.bbox}" for image in shown]
        return user_message("\n".join(lines), self._pictures(shown) if self.settings.llm_vision else ())

    def _pictures(self, images: list[ChatImage]) -> list[Picture]:
        return [Picture(marker(image), image.mime, self.evidence.pngs[image.id]) for image in images]

    def _complete(self, messages: list[Wire], *, tools: bool) -> Generator[Event, None, Completion]:
        request: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            request["tools"] = self.toolbox.schemas()
        if self.settings.llm_max_tokens:
            request["max_tokens"] = self.settings.llm_max_tokens
        completion = yield from complete(self.client, request, timeout=self.settings.llm_timeout, usage=self.usage)
        if completion.cut:  # the server's token or context limit: what came is kept, but it is partial
            yield Notice(text=self.texts.cut_off)
        return completion
