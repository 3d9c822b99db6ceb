"""One question, end to end, as a generator of ``events``: the flow of ARCHITECTURE.md.

The facade hands the agent the question (cleaned once, ``question.Question``) and its chat's
log (``chats.ChatLog``, the chat read once). The question is saved before anything else, then an empty "pending" answer, so that whatever
fails later (a render, the model, a timeout) the chat keeps the question and says what happened.
Then: search (its hits saved with the question), the evidence images (``evidence``), and the
answer: the model's (``model_loop``), or without a model, offline or after the model failed, the
extractive one (``extractive``). A follow-up is searched first where the last answer was (``context``); a
scoped question that matches nothing shows its documents' first sheets; codes the question names
that nothing in scope holds are said first (``codes``); a question about the set's completeness is
answered from its drawing list checked against its sheets (``sheets``), and one about what changed
between the chat's two versions from their comparison (``changes``). The answer is saved with its citations and images.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..chats import ChatLog
from ..config import Settings
from ..errors import AizoomdocError, BackendUnavailable
from ..events import AnswerDelta, AnswerDone, AskResult, ChatStarted, Event, Notice, SearchDone
from ..library import Library
from ..models import ChatImage, Citation
from ..question import Question
from ..render import Renderer
from ..search import Hit
from .changes import Changes, changes_answer, changes_for, show_changes
from .codes import missing_codes
from .context import Focus, follow_up_hits
from .evidence import Evidence, show_hits
from .extractive import extractive_answer, quotes
from .followed import Followed, follow
from .model_loop import ModelLoop
from .sheets import Checked, sheet_checks, sheets_answer
from .texts import Texts, texts_for
from .tools import TOOLS, TOP_HITS, Context
from .wire import ModelFailure

log = logging.getLogger("aizoomdoc.agent")

HISTORY_MESSAGES = 6  # earlier messages of the chat the model reads


@dataclass
class Reply:
    """The answer as it is saved: its text, its kind (``message_type``) and what it cites."""

    text: str
    kind: str  # "answer" (the model's), "extractive" or "error"
    citations: list[Citation]
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)


@dataclass
class Agent:
    """What a question needs besides its chat, and nothing more: the documents, the renderer, settings."""

    library: Library
    renderer: Renderer
    settings: Settings

    def ask(self, question: Question, chat: ChatLog, *, offline: bool = False) -> Iterator[Event]:
        """Answer ``question`` in ``chat``, yielding events as it goes."""
        asked = chat.add_question(question)
        yield ChatStarted(chat=chat.chat, question=asked)
        answer = chat.add_pending_answer()
        evidence = Evidence(chat, self.library, answer, texts_for(question.language))
        try:
            earlier = _followed(chat)
            hits, unsearchable = self._search(question, chat, earlier)
            checks = [] if unsearchable else sheet_checks(self.library, question.text, chat.scope, hits)
            if checks:  # the drawing lists are the evidence of a question about them
                listed = [h for c in checks for h in c.headings]
                known = {(h.document_id, h.block_id) for h in listed}
                hits = listed + [h for h in hits if (h.document_id, h.block_id) not in known]
            results = chat.add_search_results(hits, message_id=asked.id)
            for hit in hits:
                evidence.add_hit(hit)
            yield SearchDone(hits=hits)
            missing = [] if unsearchable else missing_codes(self.library, question, chat.scope)
            if missing:
                yield Notice(text=texts_for(question.language).missing(missing))
            changes = None if unsearchable else changes_for(self.library, self.renderer, question.text, chat.scope)
            if changes:  # two versions: each changed region, the old beside the new
                yield from show_changes(evidence, self.renderer, changes)
                followed = None
            else:  # crops go first where the answer without a model quotes, so that what it quotes is shown
                quoted = quotes(question.text, hits, evidence, question.language, earlier)
                planned = [quote.hit for quote in quoted]
                followed = None if unsearchable else follow(self.library, [(q.hit, q.text) for q in quoted], chat.scope)
                if followed:  # the callout keeps its place, and where it points is shown right after it
                    planned = [q.hit for q in quotes(question.text, hits, evidence, question.language, earlier, followed)]
                    planned.insert(planned.index(followed.source) + 1, followed.target)
                yield from show_hits(evidence, self.renderer, question, hits, planned)
            special = Special(checks, changes, followed)
            reply = yield from self._reply(question, chat, evidence, hits, unsearchable, offline, missing, earlier, special)
            metadata = {"citations": [c.to_json() for c in reply.citations], "model": reply.model,
                        "usage": reply.usage, "images": _ids(evidence.images)}
            chat.finish(answer, reply.text, message_type=reply.kind, metadata=metadata)
            log.info("answer saved: %s in chat %s (%s, %d citations)", answer.id, chat.chat.id, reply.kind,
                     len(reply.citations))
        except BaseException as exc:
            reason = str(exc) if isinstance(exc, AizoomdocError) else f"internal error ({type(exc).__name__})"
            chat.finish(answer, f"The answer could not be completed: {reason}", message_type="error",
                        metadata={"images": _ids(evidence.images)})
            raise
        yield AnswerDone(result=AskResult(
            chat_id=chat.chat.id, message_id=answer.id, answer=reply.text,
            citations=[c.to_json() for c in reply.citations],
            images=[_image_json(chat, image) for image in evidence.images],
            search_results=[r.to_json() for r in results], model=reply.model, extractive=reply.kind == "extractive",
            missing_codes=missing,
        ))

    def _search(
        self, question: Question, chat: ChatLog, earlier: str
    ) -> tuple[list[Hit], BackendUnavailable | None]:
        """The question's hits in the chat's scope; a follow-up's (of ``earlier``) first where the
        last answer was."""
        try:
            hits = self.library.search(question, top=TOP_HITS, document_ids=chat.scope)
            if focus := Focus.of(chat.earlier):
                hits = follow_up_hits(self.library, question, earlier, focus, hits, chat.scope, TOP_HITS)
            if not hits and chat.scope:  # never empty-handed in a chosen set: its first sheets
                hits = self.library.opening_hits(chat.scope)
            return hits, None
        except BackendUnavailable as exc:  # the documents are in a cloud that is away: say so, keep the chat
            return [], exc

    def _reply(
        self, question: Question, chat: ChatLog, evidence: Evidence, hits: list[Hit],
        unsearchable: BackendUnavailable | None, offline: bool, missing: list[str], earlier: str,
        special: Special,
    ) -> Generator[Event, None, Reply]:
        texts = texts_for(question.language)
        first = texts.missing(missing) + "\n\n" if missing else ""
        if unsearchable is not None:
            yield Notice(text=str(unsearchable))
            reply = Reply(texts.unsearchable, "error", [])  # nothing was found to cite
        elif self.settings.llm_configured and not offline:
            context = Context(evidence, self.library, self.renderer, self.settings, chat.scope)
            loop = ModelLoop(self.settings, TOOLS, context, question, missing)
            try:
                text, usage = yield from loop.run(chat.earlier[-HISTORY_MESSAGES:])
                return Reply(text, "answer", evidence.citations(text), loop.model, usage)
            except ModelFailure as failure:
                log.warning("model failed for chat %s: %s", chat.chat.id, failure)
                said = failure.said(texts)
                yield Notice(text=said)
                text, citations = _without_model(texts, question, hits, evidence, earlier, special)
                reply = Reply(f"{first}{said}\n\n{text}", "extractive", citations)
        else:
            text, citations = _without_model(texts, question, hits, evidence, earlier, special)
            reply = Reply(first + text, "extractive", citations)
            yield Notice(text=texts.offline if offline else texts.no_model)
        yield AnswerDelta(text=reply.text)
        return reply


@dataclass(frozen=True)
class Special:
    """What a question search alone cannot answer was found to ask: the drawing lists checked
    (``sheets``), or two versions compared (``changes``); and where a quoted callout leads."""

    checks: list[Checked]
    changes: Changes | None
    followed: Followed | None  # the reference a quote makes, followed (``followed``)


def _without_model(
    texts: Texts, question: Question, hits: list[Hit], evidence: Evidence, earlier: str, special: Special,
) -> tuple[str, list[Citation]]:
    """The answer without a model: what the comparison or the drawing lists say for a question
    about them, else quotes."""
    if special.changes:
        return changes_answer(texts, special.changes, evidence)
    if special.checks:
        return sheets_answer(texts, special.checks, evidence)
    return extractive_answer(texts, question.text, hits, evidence, earlier, special.followed)


def _followed(chat: ChatLog) -> str:
    """The question a follow-up follows (the last one asked in the chat when an answer before cited
    something: ``context.Focus``), whose words name what the follow-up is about; else ""."""
    if Focus.of(chat.earlier) is None:
        return ""
    return next((m.content for m in reversed(chat.earlier) if m.role == "user"), "")


def _ids(images: list[ChatImage]) -> list[str]:
    return [image.id for image in images]


def _image_json(chat: ChatLog, image: ChatImage) -> dict[str, Any]:
    return {"id": image.id, "kind": image.kind, "document_id": image.document_id, "page": image.page,
            "bbox": image.bbox, "width": image.width, "height": image.height, "scale": image.scale,
            "path_or_url": chat.image_url(image)}
