"""One question, end to end: search, evidence images, the model's tool loop, a saved cited answer.

The flow of ARCHITECTURE.md, as a generator of ``events``: the question is saved before anything
else, then an empty "pending" answer, so that whatever fails later (a render, the model, a timeout)
the chat keeps the question and says what happened. Search results are saved with the question;
every image is stored as soon as it is rendered and shown at once.

With a model configured, it gets the hits and the first images, then works with three tools
(``search_documents``, ``view_page``, ``zoom``) under guards: a step limit, an image budget, ids
checked against the database, bboxes clamped and degenerate ones refused, a zoom on the whole page
turned into ``view_page``, the same call three times ending the loop, malformed arguments answered
with an error the model can correct. The model cites with markers (``[B3]`` a hit, ``[I2]`` an
image) that are turned into citations: document, page, bbox, block. Without a model (or offline),
the answer is extractive: the best hits with their sheets, saying plainly that no model was asked.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AizoomdocError, BackendUnavailable, InvalidInput
from .events import AnswerDelta, AnswerDone, AskResult, ChatStarted, Event, ImageReady, Notice, SearchDone, ToolCalled
from .models import ChatImage, DocumentInfo
from .render import CONTEXT_CANVAS, Concepts, Rendered, clamp_bbox
from .sanitize import clean_text, parse_id
from .search import Hit
from .terms import matched_concepts, query_concepts

if TYPE_CHECKING:
    from .app import Aizoomdoc

log = logging.getLogger("aizoomdoc.agent")

PROMPTS = Path(__file__).with_name("prompts")
TOOLS: list[dict[str, Any]] = json.loads((PROMPTS / "tools.json").read_text(encoding="utf-8"))
MAX_QUESTION = 4000
TOP_HITS = 12
EVIDENCE_CROPS = 4  # legible crops around the best hits, shown before the model is asked
EVIDENCE_PIXELS = 4_000_000  # all of those images together
HISTORY_MESSAGES = 6
_MARKER = re.compile(r"\[([BI])(\d+)\]")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def language(text: str) -> str:
    """"ru" when the question is written in Cyrillic, else "en": the answer follows the question."""
    letters = [c for c in text if c.isalpha()]
    cyrillic = sum(1 for c in letters if _CYRILLIC.match(c))
    return "ru" if letters and cyrillic * 2 >= len(letters) else "en"


@dataclass
class Evidence:
    """What this question has shown: hits as B1, B2..., images as I1, I2..., for citing."""

    hits: dict[str, Hit] = field(default_factory=dict)
    images: dict[str, ChatImage] = field(default_factory=dict)
    pngs: dict[str, bytes] = field(default_factory=dict)  # each image's bytes, for a vision model
    documents: dict[str, DocumentInfo] = field(default_factory=dict)  # read once per question

    def document(self, app: Aizoomdoc, document_id: str) -> DocumentInfo:
        """The document, read from the store the first time this question needs it (failures are
        not kept: the next hit asks again)."""
        if document_id not in self.documents:
            self.documents[document_id] = app.get_document(document_id)
        return self.documents[document_id]

    def add_hit(self, hit: Hit) -> str:
        for marker, known in self.hits.items():
            if (known.document_id, known.block_id) == (hit.document_id, hit.block_id):
                return marker
        marker = f"B{len(self.hits) + 1}"
        self.hits[marker] = hit
        return marker

    def next_image_marker(self) -> str:
        return f"I{len(self.images) + 1}"

    def citations(self, text: str) -> list[dict[str, Any]]:
        """The markers ``text`` uses, as citations that trace back to a document, page and bbox."""
        cited: dict[str, dict[str, Any]] = {}
        for kind, number in _MARKER.findall(text):
            marker = f"{kind}{number}"
            if marker in cited:
                continue
            if kind == "B" and marker in self.hits:
                hit = self.hits[marker]
                cited[marker] = {"marker": marker, "document_id": hit.document_id, "page": hit.page,
                                 "bbox": hit.bbox, "block_id": hit.block_id}
            elif kind == "I" and marker in self.images:
                image = self.images[marker]
                cited[marker] = {"marker": marker, "document_id": image.document_id, "page": image.page,
                                 "bbox": image.bbox, "block_id": None, "image_id": image.id}
        return list(cited.values())


def ask(
    app: Aizoomdoc, question: str, *, chat_id: str | None = None, offline: bool = False, user_id: str | None = None
) -> Iterator[Event]:
    """Answer ``question`` in a chat (a new one unless ``chat_id``), yielding events as it goes."""
    question = clean_text(question, max_length=MAX_QUESTION).strip()
    if not question:
        raise InvalidInput("the question is empty")
    if chat_id:
        view = app.chat_view(chat_id)
        chat, history = view.chat, view.messages[-HISTORY_MESSAGES:]
    else:
        chat, history = app.create_chat(question, user_id=user_id), []
    asked = app.add_message(chat.id, "user", question, message_type="question")
    yield ChatStarted(chat=chat, question=asked)
    answer = app.add_message(chat.id, "assistant", "", message_type="pending")
    evidence = Evidence()
    try:
        scope = chat.metadata.get("document_ids") or None
        unsearchable: BackendUnavailable | None = None
        try:
            hits = app.search(question, top=TOP_HITS, document_ids=scope)
        except BackendUnavailable as exc:  # the documents are in a cloud that is away: say so, keep the chat
            hits, unsearchable = [], exc
        results = app.add_search_results(chat.id, [h.to_json() for h in hits], message_id=asked.id)
        for hit in hits:
            evidence.add_hit(hit)
        yield SearchDone(hits=hits)
        yield from _show_hits(app, chat.id, answer.id, question, hits, evidence)
        model: str | None = None
        usage: dict[str, int] = {}
        if unsearchable is not None:
            text, message_type = _unsearchable(question), "error"
            yield Notice(text=str(unsearchable))
            yield AnswerDelta(text=text)
        elif app.settings.llm_configured and not offline:
            loop = ToolLoop(app, chat.id, answer.id, evidence, scope)
            try:
                text, usage = yield from loop.run(question, history)
                model, message_type = loop.model, "answer"
            except ModelFailure as failure:
                log.warning("model failed for chat %s: %s", chat.id, failure)
                said = failure.said_for(question)
                yield Notice(text=said)
                text = f"{said}\n\n{_extractive(question, hits, evidence)}"
                message_type = "extractive"
                yield AnswerDelta(text=text)
        else:
            text, message_type = _extractive(question, hits, evidence), "extractive"
            yield Notice(text=_no_model_notice(question, offline))
            yield AnswerDelta(text=text)
        citations = evidence.citations(text) if message_type == "answer" else _extractive_citations(hits, evidence)
        metadata = {"citations": citations, "model": model, "usage": usage,
                    "images": [image.id for image in evidence.images.values()]}
        app.finish_message(answer, text, message_type=message_type, metadata=metadata)
        log.info("answer saved: %s in chat %s (%s, %d citations)", answer.id, chat.id, message_type, len(citations))
    except BaseException as exc:
        reason = str(exc) if isinstance(exc, AizoomdocError) else f"internal error ({type(exc).__name__})"
        app.finish_message(answer, f"The answer could not be completed: {reason}", message_type="error",
                           metadata={"images": [image.id for image in evidence.images.values()]})
        raise
    yield AnswerDone(
        result=AskResult(
            chat_id=chat.id, message_id=answer.id, answer=text, citations=citations,
            images=[_image_json(app, image) for image in evidence.images.values()],
            search_results=[r.to_json() for r in results], model=model, extractive=message_type == "extractive",
        )
    )


# -- evidence images ---------------------------------------------------------------------------


def _show_hits(
    app: Aizoomdoc, chat_id: str, message_id: str, question: str, hits: list[Hit], evidence: Evidence
) -> Iterator[Event]:
    """A viewport of the best drawable page, and legible crops around the best hits.

    No image goes past EVIDENCE_PIXELS in all, so each crop should show something new: see
    ``_next_hit`` for which hit gets the next one.
    """
    crops: list[ChatImage] = []
    pixels = 0
    # The best page's hits come first: the answer to a question about a sheet is usually near
    # another of that sheet's hits (a row of the schedule whose heading matched).
    best = (hits[0].document_id, hits[0].page) if hits else None
    pending = sorted(hits, key=lambda h: (h.document_id, h.page) != best)
    concepts = tuple(query_concepts(question))
    shown: dict[tuple[str, int], set[int]] = {}
    # A crop is at least a context canvas: once the budget cannot hold one, rendering more is waste.
    while len(crops) < EVIDENCE_CROPS and EVIDENCE_PIXELS - pixels >= CONTEXT_CANVAS[0] * CONTEXT_CANVAS[1]:
        hit = _next_hit(pending, crops, shown, concepts)
        if hit is None:
            break
        try:
            document = evidence.document(app, hit.document_id)
        except BackendUnavailable as exc:  # the cloud went away after the search: answer without it
            yield Notice(text=f"no image of page {hit.page}: {exc}")
            continue
        if not _drawable(document):
            continue
        for kind in ["viewport", "zoom_crop"] if not crops else ["zoom_crop"]:
            drawing = "context_crop" if kind == "zoom_crop" else kind
            try:
                focus = concepts if drawing == "context_crop" else ()
                rendered = app.renderer.render(drawing, document, hit.page, clamp_bbox(hit.bbox, minimum=0.001), focus)
                if pixels + rendered.width * rendered.height > EVIDENCE_PIXELS:
                    break
                ready = _store_image(app, chat_id, message_id, evidence, kind, document, hit.page, rendered, hit.sheet_code)
            except AizoomdocError as exc:  # not drawable, or its file's store is unreachable right now
                yield Notice(text=f"no image of {document.name} page {hit.page}: {exc}")
                break
            pixels += ready.image.width * ready.image.height
            if kind == "zoom_crop":
                crops.append(ready.image)
                shown.setdefault((hit.document_id, hit.page), set()).update(matched_concepts(concepts, hit.text))
            yield ready


def _next_hit(
    pending: list[Hit], crops: list[ChatImage], shown: dict[tuple[str, int], set[int]], concepts: Concepts
) -> Hit | None:
    """Take from ``pending`` the hit that deserves the next crop, or None when none does.

    A hit wholly inside an earlier crop of its page is already shown. Of the others, the first
    that matches a question word its page's crops do not show yet goes first: on a schedule the
    heading matched "schedule", the row that matches "refrigerator" is the one with the answer,
    while a third heading that only says "schedule" again shows nothing new.
    """
    fresh = [
        hit for hit in pending
        if not any(c.document_id == hit.document_id and c.page == hit.page and _within(hit.bbox, c.bbox) for c in crops)
    ]
    pending[:] = fresh
    if not fresh:
        return None
    new = (h for h in fresh if matched_concepts(concepts, h.text) - shown.get((h.document_id, h.page), set()))
    hit = next(new, fresh[0])
    pending.remove(hit)
    return hit


def _within(bbox: list[float], region: list[float] | None) -> bool:
    """Whether ``bbox`` lies wholly in ``region``: a wide table row half in a crop is not shown."""
    if region is None:
        return False
    eps = 1e-3
    return (region[0] <= bbox[0] + eps and region[1] <= bbox[1] + eps
            and bbox[2] <= region[2] + eps and bbox[3] <= region[3] + eps)


def _drawable(document: DocumentInfo) -> bool:
    return document.mime == "application/pdf" or document.mime.startswith("image/")


def _store_image(
    app: Aizoomdoc, chat_id: str, message_id: str, evidence: Evidence, kind: str, document: DocumentInfo,
    page: int, rendered: Rendered, sheet: str | None,
) -> ImageReady:
    """Store and register one rendered image of ``document``'s ``page`` (on sheet ``sheet``)."""
    caption = f"{document.name}, page {page}" + (f", sheet {sheet}" if sheet else "")
    marker = evidence.next_image_marker()
    image = app.add_image(
        chat_id, rendered.png, kind=kind, width=rendered.width, height=rendered.height, message_id=message_id,
        document_id=document.id, page=page, bbox=rendered.bbox, scale=rendered.scale,
        metadata={"text_px": rendered.text_px, "caption": caption, "marker": marker},  # kept for History
    )
    evidence.images[marker] = image
    evidence.pngs[marker] = rendered.png
    return ImageReady(image=image, caption=f"[{marker}] {caption}", data=rendered.png)


def _image_json(app: Aizoomdoc, image: ChatImage) -> dict[str, Any]:
    return {"id": image.id, "kind": image.kind, "document_id": image.document_id, "page": image.page,
            "bbox": image.bbox, "width": image.width, "height": image.height, "scale": image.scale,
            "path_or_url": app.image_url(image)}


# -- the extractive answer ---------------------------------------------------------------------


def _no_model_notice(question: str, offline: bool) -> str:
    if language(question) == "ru":
        return "Модель не запрашивалась (офлайн-режим)." if offline else "LLM не настроена: ответ составлен из найденного."
    return "No model was asked (offline)." if offline else "No LLM configured: the answer is made of what search found."


def _extractive(question: str, hits: list[Hit], evidence: Evidence) -> str:
    """The best hits quoted with their document, sheet and page, labelled as not a model's answer."""
    russian = language(question) == "ru"
    if not hits:
        return (
            "Модель не запрашивалась. В документах ничего не найдено по этому вопросу." if russian
            else "No model was asked. Nothing in the documents matches this question."
        )
    lines = [
        "Модель не запрашивалась: вот лучшие совпадения в документах." if russian
        else "No model was asked: these are the best matches in the documents."
    ]
    for hit in hits[:3]:
        marker = evidence.add_hit(hit)
        quote = _snippet(hit.text)
        sheet = f", {'лист' if russian else 'sheet'} {hit.sheet_code}" if hit.sheet_code else ""
        title = f" ({hit.sheet_title})" if hit.sheet_title else ""
        page = "стр." if russian else "page"
        lines.append(f"- «{quote}» — {hit.document_name}{sheet}{title}, {page} {hit.page} [{marker}]")
    return "\n".join(lines)


def _unsearchable(question: str) -> str:
    """The answer when the documents' database is away (the notice before it says what failed)."""
    if language(question) == "ru":
        return "Документы сейчас недоступны для поиска: база данных не отвечает. Вопрос сохранён: задайте его снова, когда она ответит."
    return "The documents cannot be searched right now: the database does not answer. Your question is saved: ask again when it does."


def _extractive_citations(hits: list[Hit], evidence: Evidence) -> list[dict[str, Any]]:
    return evidence.citations(" ".join(f"[{evidence.add_hit(hit)}]" for hit in hits[:3]))


# -- the model's tool loop ---------------------------------------------------------------------


class ModelFailure(AizoomdocError):
    """The model could not give an answer (unreachable, timed out, refused the request).

    It is said in the language of the question, as the extractive answer that follows it is; the
    English text is what logs get.
    """

    def __init__(self, english: str, russian: str) -> None:
        super().__init__(english)
        self.russian = russian

    def said_for(self, question: str) -> str:
        return self.russian if language(question) == "ru" else str(self)


@dataclass
class _Call:
    id: str
    name: str
    arguments: str


class ToolLoop:
    """The conversation with the model for one question, and the tools it may call."""

    def __init__(self, app: Aizoomdoc, chat_id: str, message_id: str, evidence: Evidence, scope: list[str] | None) -> None:
        from .llm import make_client

        self.app, self.chat_id, self.message_id, self.evidence, self.scope = app, chat_id, message_id, evidence, scope
        self.settings = app.settings
        self.model = self.settings.llm_model
        self.client = make_client(self.settings, timeout=self.settings.llm_timeout, max_retries=1)
        self.repeats: Counter[str] = Counter()
        self.images_left = self.settings.max_images - len(evidence.images)
        self.russian = False  # the question's language, set by ``run``: notices are said in it
        self.usage: Counter[str] = Counter()

    def run(self, question: str, history: list[Any]) -> Generator[Event, None, tuple[str, dict[str, int]]]:
        lang = language(question)
        self.russian = lang == "ru"
        messages: list[dict[str, Any]] = [{"role": "system", "content": (PROMPTS / f"system_{lang}.md").read_text(encoding="utf-8")}]
        for message in history:
            if message.role in ("user", "assistant") and message.content:
                messages.append({"role": message.role, "content": message.content})
        messages.append({"role": "user", "content": self._first_message(question)})
        answer: list[str] = []
        for step in range(self.settings.max_steps):
            last = step == self.settings.max_steps - 1
            content, calls = yield from self._complete(messages, tools=not last)
            answer.append(content)
            messages.append(self._assistant(content, calls))
            if not calls:
                return self._answer(answer)
            images: list[ChatImage] = []
            stop = None
            for call in calls:
                result, new_images, reason = yield from self._tool(call)
                stop = stop or reason
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
                images.extend(new_images)
            if images and self.settings.llm_vision:
                messages.append({"role": "user", "content": self._image_parts("Images from the tools above:", images)})
            if stop:
                yield Notice(text=stop)
                content, _ = yield from self._complete(messages, tools=False)
                answer.append(content)
                return self._answer(answer)
        return self._answer(answer)

    def _answer(self, parts: list[str]) -> tuple[str, dict[str, int]]:
        """The answer and the token usage; an empty answer is a failure, not something to save.

        A small local model can end its turn at once (or only ever call tools): saved as is, the
        user would get a blank answer with nothing saying why.
        """
        text = "".join(parts).strip()
        if not text:
            raise ModelFailure("The model gave an empty answer.", "Модель вернула пустой ответ.")
        return text, dict(self.usage)

    # -- talking to the model

    def _first_message(self, question: str) -> list[dict[str, Any]] | str:
        lines = [question, "", "Search results (cite as [Bn]):"]
        for marker, hit in self.evidence.hits.items():
            lines.append(_hit_line(marker, hit))
        if not self.evidence.hits:
            lines.append("(none)")
        shown = list(self.evidence.images.values())
        if shown:
            lines += ["", "Images already shown to the user (cite as [In]):"]
            lines += [f"[{image.metadata.get('marker')}] {image.kind} of {image.metadata.get('caption')}, "
                      f"document_id {image.document_id}, bbox {image.bbox}" for image in shown]
        text = "\n".join(lines)
        if self.settings.llm_vision and shown:
            return self._image_parts(text, shown)
        return text

    def _image_parts(self, text: str, images: list[ChatImage]) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
        for image in images:
            png = self.evidence.pngs.get(str(image.metadata.get("marker"))) or self.app.image_bytes(image)
            data = base64.b64encode(png).decode("ascii")
            parts.append({"type": "text", "text": f"[{image.metadata.get('marker')}]"})
            parts.append({"type": "image_url", "image_url": {"url": f"data:{image.mime};base64,{data}"}})
        return parts

    @staticmethod
    def _assistant(content: str, calls: list[_Call]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": content or None}
        if calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls
            ]
        return message

    def _complete(self, messages: list[dict[str, Any]], *, tools: bool) -> Generator[Event, None, tuple[str, list[_Call]]]:
        """One streamed completion: text deltas are yielded as they come; tool calls are collected."""
        import openai

        request: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True,
                                   "stream_options": {"include_usage": True}}
        if tools:
            request["tools"] = TOOLS
        if self.settings.llm_max_tokens:
            request["max_tokens"] = self.settings.llm_max_tokens
        content: list[str] = []
        calls: dict[int, _Call] = {}
        cut = False
        answered = False  # the server sent its response head: a failure after this broke the answer off
        try:
            stream = self.client.chat.completions.create(**request)
            answered = True
            for chunk in stream:
                if chunk.usage:
                    self.usage.update({"prompt_tokens": chunk.usage.prompt_tokens or 0,
                                       "completion_tokens": chunk.usage.completion_tokens or 0})
                for choice in chunk.choices:
                    cut = cut or choice.finish_reason == "length"
                    delta = choice.delta
                    if delta.content:
                        content.append(delta.content)
                        yield AnswerDelta(text=delta.content, from_model=True)
                    for part in delta.tool_calls or []:
                        call = calls.setdefault(part.index, _Call(id="", name="", arguments=""))
                        if part.id:
                            call.id = part.id
                        if part.function and part.function.name:
                            call.name += part.function.name
                        if part.function and part.function.arguments:
                            call.arguments += part.function.arguments
        except openai.APITimeoutError:
            seconds = f"{self.settings.llm_timeout:g}"
            raise ModelFailure(f"The model did not answer within {seconds} s.", f"Модель не ответила за {seconds} с.") from None
        except openai.APIStatusError as exc:
            raise ModelFailure(f"The model refused the request (HTTP {exc.status_code}).",
                               f"Модель отклонила запрос (HTTP {exc.status_code}).") from None
        except (openai.APIError, ValueError) as exc:
            if isinstance(exc, openai.APIConnectionError) and not answered:  # nothing came: no answer to break off
                raise ModelFailure("The model could not be reached: the connection was refused or the server is unreachable.",
                                   "Не удалось подключиться к модели: соединение отклонено или сервер недоступен.") from None
            raise ModelFailure(f"The model's answer broke off ({type(exc).__name__}).",
                               f"Ответ модели оборвался ({type(exc).__name__}).") from None
        if cut:  # the server's token or context limit: what came is kept, but the user must know it is partial
            yield Notice(text="Ответ модели обрезан по её пределу длины." if self.russian
                         else "The model's answer was cut off at its length limit.")
        ordered = [calls[i] for i in sorted(calls)]
        for number, call in enumerate(ordered):
            call.id = call.id or f"call_{number}"
        return "".join(content), ordered

    # -- the tools

    def _tool(self, call: _Call) -> Generator[Event, None, tuple[str, list[ChatImage], str | None]]:
        """Run one tool call under the guards; returns (result for the model, images, reason to stop)."""
        key = f"{call.name}:{call.arguments}"
        self.repeats[key] += 1
        if self.repeats[key] >= 3:
            notice = ("Модель трижды повторила один и тот же запрос; её попросили ответить по тому, что есть."
                      if self.russian else
                      "The model repeated the same request three times; it was asked to answer with what it has.")
            return "Refused: the same request a third time.", [], notice
        try:
            arguments = json.loads(call.arguments or "{}")
            if not isinstance(arguments, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            yield ToolCalled(name=call.name, arguments={}, summary="malformed arguments")
            return f"Error: the arguments are not valid JSON ({exc}). Send a JSON object as the schema says.", [], None
        try:
            if call.name == "search_documents":
                result, images = self._search(arguments), []
            elif call.name == "view_page":
                result, images = yield from self._view(arguments)
            elif call.name == "zoom":
                result, images = yield from self._zoom(arguments)
            else:
                result, images = f"Error: there is no tool named {call.name!r}.", []
        except (AizoomdocError, KeyError, TypeError, ValueError) as exc:  # incl. a backend that went away
            message = str(exc) if isinstance(exc, AizoomdocError) else f"bad arguments ({type(exc).__name__}: {exc})"
            result, images = f"Error: {message}", []
        yield ToolCalled(name=call.name, arguments=arguments, summary=result.splitlines()[0][:200])
        return result, images, None

    def _search(self, arguments: dict[str, Any]) -> str:
        query = str(arguments["query"])
        ids = [parse_id(i, "document id") for i in arguments.get("document_ids") or []] or self.scope
        if self.scope and not set(ids or []) <= set(self.scope):  # the model narrows the scope, never widens it
            raise InvalidInput("that document is not in this chat's scope")
        hits = self.app.search(query, top=TOP_HITS, document_ids=ids)
        if not hits:
            return f"No blocks match {query!r}."
        return "\n".join(_hit_line(self.evidence.add_hit(hit), hit) for hit in hits)

    def _document(self, arguments: dict[str, Any]) -> tuple[DocumentInfo, int]:
        document = self.evidence.document(self.app, str(arguments["document_id"]))
        if self.scope and document.id not in self.scope:
            raise InvalidInput("that document is not in this chat's scope")
        page = int(arguments["page"])
        if not 1 <= page <= document.page_count:
            raise InvalidInput(f"page {page} does not exist; {document.name} has pages 1 to {document.page_count}")
        if not _drawable(document):
            raise InvalidInput(f"{document.name} is a text document: use search_documents")
        return document, page

    def _budget(self) -> None:
        if self.images_left <= 0:
            raise InvalidInput("the image budget for this question is spent; answer with what you have")

    def _view(self, arguments: dict[str, Any]) -> Generator[Event, None, tuple[str, list[ChatImage]]]:
        document, page = self._document(arguments)
        self._budget()
        rendered = self.app.renderer.render("page", document, page)
        sheet = self.app.sheet_of(document.id, page)
        ready = _store_image(self.app, self.chat_id, self.message_id, self.evidence, "page", document, page, rendered, sheet)
        self.images_left -= 1
        yield ready
        fields = self.app.title_block_of(document.id, page)
        flat = {**{k: v for k, v in fields.items() if k not in ("fields", "bbox")}, **fields.get("fields", {})}
        described = "; ".join(f"{k}: {v}" for k, v in flat.items()) or "no title block found"
        text = f"{ready.caption}: the whole page with a grid in tenths. Title block: {described}."
        return text + self._region_text(document, page, [0.0, 0.0, 1.0, 1.0]), [ready.image]

    def _zoom(self, arguments: dict[str, Any]) -> Generator[Event, None, tuple[str, list[ChatImage]]]:
        document, page = self._document(arguments)
        raw = [float(v) for v in arguments["bbox"]]
        if len(raw) != 4:
            raise InvalidInput("bbox needs four numbers [x0, y0, x1, y1]")
        x0, y0, x1, y1 = (min(1.0, max(0.0, v)) for v in raw)
        if abs(x1 - x0) < 1e-3 or abs(y1 - y0) < 1e-3:
            raise InvalidInput("the bbox has no area; give [x0, y0, x1, y1] with x0 < x1 and y0 < y1 in 0..1")
        if abs(x1 - x0) > 0.95 and abs(y1 - y0) > 0.95:
            return (yield from self._view(arguments))  # the whole page is what view_page shows
        self._budget()
        rendered = self.app.renderer.render("zoom_crop", document, page, clamp_bbox([x0, y0, x1, y1], minimum=0.001))
        sheet = self.app.sheet_of(document.id, page)
        ready = _store_image(self.app, self.chat_id, self.message_id, self.evidence, "zoom_crop", document, page, rendered, sheet)
        self.images_left -= 1
        yield ready
        text_px = ready.image.metadata.get("text_px")
        size = f"text about {text_px:g} px tall" if text_px else "no text layer: scanned at native resolution"
        text = f"{ready.caption}, region {ready.image.bbox}, {ready.image.width}x{ready.image.height} px, {size}."
        return text + self._region_text(document, page, ready.image.bbox or [0, 0, 1, 1]), [ready.image]

    def _region_text(self, document: DocumentInfo, page: int, bbox: list[float]) -> str:
        """For a text-only model, the text of the region stands in for the picture."""
        if self.settings.llm_vision:
            return ""
        blocks = self.app.blocks_in_region(document.id, page, bbox)
        lines = [f"[{self.evidence.add_hit(hit)}] {_snippet(hit.text)}" for hit in blocks[:40]]
        return "\nText in this region:\n" + ("\n".join(lines) or "(none)")


def _hit_line(marker: str, hit: Hit) -> str:
    sheet = f" sheet {hit.sheet_code}" if hit.sheet_code else ""
    title = f" «{hit.sheet_title}»" if hit.sheet_title else ""
    text = _snippet(hit.text)
    return f"[{marker}] {hit.document_name} (document_id {hit.document_id}) page {hit.page}{sheet}{title} bbox {hit.bbox}: {text}"


def _snippet(text: str, limit: int = 300) -> str:
    """A block's text on one line, cut visibly at ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
