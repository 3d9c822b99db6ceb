"""What a question reports while it is answered: one code path, shown by the UI and by the CLI.

``Aizoomdoc.ask`` yields these in order: ``ChatStarted``, ``SearchDone``, ``ImageReady`` (as each
image is stored), ``ToolCalled`` (each step of the model), ``AnswerDelta`` (the answer as it
streams), ``Notice`` (something the user should know: no model asked, a fault, a limit), and last
``AnswerDone`` with the saved result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Chat, ChatImage, Message
from .search import Hit


@dataclass
class ChatStarted:
    chat: Chat
    question: Message


@dataclass
class SearchDone:
    hits: list[Hit]


@dataclass
class ImageReady:
    image: ChatImage
    caption: str
    data: bytes  # the PNG itself: shown at once, without a round trip to a blob store that may be away


@dataclass
class ToolCalled:
    name: str
    arguments: dict[str, Any]
    summary: str  # what came of it, in one line


@dataclass
class AnswerDelta:
    text: str
    # Written by the model (Markdown, formatted when shown) rather than quoted from the documents
    # by the extractive answer (shown as the text it is).
    from_model: bool = False


@dataclass
class Notice:
    text: str


@dataclass
class AskResult:
    """The contract of ``ask --json`` (ARCHITECTURE.md)."""

    chat_id: str
    message_id: str
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    search_results: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    extractive: bool = False
    missing_codes: list[str] = field(default_factory=list)  # codes the question names that no block in scope holds

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class AnswerDone:
    result: AskResult


Event = ChatStarted | SearchDone | ImageReady | ToolCalled | AnswerDelta | Notice | AnswerDone
