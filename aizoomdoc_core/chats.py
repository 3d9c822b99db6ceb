"""Chats as their owners see them, and one chat's log while a question is answered.

``Chats`` creates, reads, lists, renames, scopes and deletes chats. Every read of one chat may name
the user who asks: a chat of another user is then "not found", here in the core, whatever a page
shows (the CLI, an operator's tool, names no user and sees every chat).

``ChatLog`` is one chat, read and checked once: a question writes all its records through it
(the question, the pending answer, search results, images, the model's tool calls, the answer)
without reading the chat again for each, as every write used to. Each record is one idempotent
``Write`` of the store (``storage.writes``), so a row written twice is still one row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from .errors import InvalidInput, NotFound
from .models import Chat, ChatImage, ChatSummary, ChatView, Message, SearchResult, ToolStep
from .question import Question
from .sanitize import clean_text, parse_id
from .search import Hit
from .storage import schema
from .storage.backends import Storage
from .storage.blobs import chat_image_key, chat_prefix

log = logging.getLogger("aizoomdoc.chats")

MAX_TITLE = 200
MAX_MESSAGE = 100_000
DEFAULT_TITLE = "New chat"
MAX_PAGE_SIZE = 500
# Far beyond any history, and low enough that offset + limit (what a merge of the cloud with the
# local spool asks each of them for) stays within the 64-bit integers SQLite and PostgreSQL take.
MAX_OFFSET = 1_000_000_000
TOOL_STEP = "tool_call"  # the message type of a ``tool`` row


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    """Ids are made here, not by the database, so a record keeps its id wherever it is written."""
    return str(uuid.uuid4())


class Chats:
    """Every chat of the store, each read on behalf of a user (or of an operator: ``user=None``)."""

    def __init__(self, storage: Storage, default_user: str) -> None:
        self.storage = storage
        self.default_user = default_user

    def create(self, title: str = "", *, user_id: str | None = None, metadata: dict[str, Any] | None = None) -> Chat:
        created = now()
        chat = Chat(
            id=new_id(),
            title=_title(title),
            user_id=clean_text(user_id or self.default_user, max_length=200, keep_newlines=False),
            created_at=created,
            updated_at=created,
            metadata=metadata or {},
        )
        self.storage.db.save_chat(chat)
        log.info("chat created: %s", chat.id)
        return chat

    def get(self, chat_id: str, user: str | None = None) -> Chat:
        """The chat, or NotFound, also when it belongs to another user than ``user``: a guessed id
        tells nobody whether the chat exists."""
        chat = self.storage.db.get_chat(parse_id(chat_id, "chat id"))
        if user is not None and chat.user_id != user:
            raise NotFound(f"chat not found: {chat.id}")
        return chat

    def view(self, chat_id: str, user: str | None = None) -> ChatView:
        """The chat as it was shown: the conversation, and apart from it the model's steps."""
        view = self.storage.db.chat_view(self.get(chat_id, user).id)
        talk = [m for m in view.messages if m.role != "tool"]
        steps = [_step_of(m) for m in view.messages if m.role == "tool"]
        return replace(view, messages=talk, steps=steps)

    def log(self, chat_id: str, user: str | None = None) -> ChatLog:
        return ChatLog(self.storage, self.get(chat_id, user))

    def start(self, title: str, *, user_id: str | None = None, scope: list[str] | None = None) -> ChatLog:
        """A new chat, for the question that opens it, limited to ``scope`` (checked documents) when given."""
        metadata = {"document_ids": scope} if scope else None
        return ChatLog(self.storage, self.create(title, user_id=user_id, metadata=metadata))

    def resume(self, chat_id: str, user: str | None = None) -> ChatLog:
        """The chat with its conversation so far, for a question that continues it: one read."""
        view = self.view(chat_id, user)
        return ChatLog(self.storage, view.chat, view.messages)

    def recent(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0, text: str | None = None
    ) -> list[ChatSummary]:
        """Chats newest first; ``user_id`` None lists every user's chats (the CLI's view); ``text``
        keeps those whose title or messages contain it."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}")
        return self.storage.db.list_chats(user_id=user_id, limit=limit, offset=offset, text=_needle(text))

    def count(self, *, user_id: str | None = None, text: str | None = None) -> int:
        return self.storage.db.count_chats(user_id=user_id, text=_needle(text))

    def documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        """Names of the documents each chat found its answers in."""
        return self.storage.db.chat_documents([parse_id(c, "chat id") for c in chat_ids])

    def rename(self, chat_id: str, title: str, user: str | None = None) -> Chat:
        chat = replace(self.get(chat_id, user), title=_title(title), updated_at=now())
        self.storage.db.save_chat(chat)
        return chat

    def set_scope(self, chat_id: str, document_ids: list[str] | None, user: str | None = None) -> Chat:
        """Limit the chat's questions to these (existing, checked by the caller) documents."""
        chat = self.get(chat_id, user)
        chat = replace(chat, metadata={**chat.metadata, "document_ids": document_ids}, updated_at=now())
        self.storage.db.save_chat(chat)
        return chat

    def delete(self, chat_id: str, user: str | None = None) -> None:
        """Delete the chat's rows, then its blobs (every key under the chat's prefix)."""
        chat_id = self.get(chat_id, user).id
        self.storage.db.delete_chat(chat_id)
        removed = self.storage.blobs.delete_prefix(chat_prefix(chat_id))
        log.info("chat deleted: %s (%d blobs)", chat_id, removed)

    def image_bytes(self, image: ChatImage) -> bytes:
        return self.storage.blobs.get(image.storage_key)

    def image_url(self, image: ChatImage) -> str:
        """Where the image can be fetched: a local path, or a presigned URL that expires."""
        return self.storage.blobs.url(image.storage_key)


@dataclass
class ChatLog:
    """One chat, checked once, and the records written to it; ``earlier`` is the conversation
    before this question (read with the chat when a question continues it)."""

    storage: Storage
    chat: Chat
    earlier: list[Message] = field(default_factory=list)

    @property
    def scope(self) -> list[str] | None:
        """The documents the chat's questions are limited to (None: all)."""
        return self.chat.metadata.get("document_ids") or None

    def add_message(
        self, role: str, content: str, *, message_type: str = "text", metadata: dict[str, Any] | None = None
    ) -> Message:
        """A message from outside (a caller of the facade): its role is checked, its text cleaned."""
        if role not in schema.MESSAGE_ROLES:
            raise InvalidInput(f"unknown message role: {role!r}")
        return self._save(role, clean_text(content, max_length=MAX_MESSAGE), message_type, metadata or {})

    def add_question(self, question: Question) -> Message:
        return self._save("user", question.text, "question", {})

    def add_pending_answer(self) -> Message:
        """An empty answer, saved with the question: whatever fails later, the chat says so."""
        return self._save("assistant", "", "pending", {})

    def finish(self, pending: Message, content: str, *, message_type: str, metadata: dict[str, Any]) -> Message:
        """Fill in the pending answer: the whole row is written again from the one the caller holds,
        so finishing needs no read and lands in the local spool like any write when the cloud is away."""
        message = replace(pending, content=clean_text(content, max_length=MAX_MESSAGE), message_type=message_type,
                          metadata=metadata)
        self.storage.db.save_message(message)
        return message

    def add_step(self, answer: Message, name: str, arguments: dict[str, Any], summary: str, images: list[str]) -> ToolStep:
        """One tool call of the model and what came of it, a ``tool`` row of the chat."""
        metadata = {"answer_id": answer.id, "name": name, "arguments": arguments, "images": images}
        return _step_of(self._save("tool", clean_text(summary, max_length=MAX_MESSAGE), TOOL_STEP, metadata))

    def add_search_results(self, hits: Sequence[Hit], *, message_id: str | None = None) -> list[SearchResult]:
        """Save hits in their rank order."""
        created = now()
        results = [
            SearchResult(
                id=new_id(),
                chat_id=self.chat.id,
                message_id=parse_id(message_id, "message id") if message_id else None,
                document_id=parse_id(hit.document_id, "document id"),
                document_name=clean_text(hit.document_name, max_length=500),
                block_id=hit.block_id,
                page=int(hit.page),
                text=clean_text(hit.text, max_length=MAX_MESSAGE),
                bbox=[float(v) for v in hit.bbox],
                score=float(hit.score),
                rank=rank,
                created_at=created,
            )
            for rank, hit in enumerate(hits, start=1)
        ]
        self.storage.db.save_search_results(results)
        log.info("search result added: %d hits to chat %s", len(results), self.chat.id)
        return results

    def add_image(
        self,
        data: bytes,
        *,
        kind: str,
        width: int,
        height: int,
        mime: str = "image/png",
        name: str | None = None,
        message_id: str | None = None,
        document_id: str | None = None,
        page: int | None = None,
        bbox: Sequence[float] | None = None,
        scale: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ChatImage:
        """Store the image bytes, then its row; a failed row write removes the bytes again."""
        if kind not in schema.IMAGE_KINDS:
            raise InvalidInput(f"unknown image kind: {kind!r}")
        image_id = new_id()
        extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(mime, "bin")
        image = ChatImage(
            id=image_id,
            chat_id=self.chat.id,
            message_id=parse_id(message_id, "message id") if message_id else None,
            name=clean_text(name or f"{kind}-{image_id[:8]}.{extension}", max_length=200, keep_newlines=False),
            kind=kind,
            storage_key=chat_image_key(self.chat.id, f"{image_id}.{extension}"),
            mime=mime,
            width=int(width),
            height=int(height),
            document_id=parse_id(document_id, "document id") if document_id else None,
            page=page,
            bbox=[float(v) for v in bbox] if bbox is not None else None,
            scale=scale,
            created_at=now(),
            metadata=metadata or {},
        )
        self.storage.blobs.put(image.storage_key, data, mime)
        try:
            self.storage.db.save_image(image)
        except BaseException:
            self.storage.blobs.delete(image.storage_key)
            raise
        log.info("image added: %s (%s, %dx%d) to chat %s", image.id, kind, image.width, image.height, self.chat.id)
        return image

    def image_url(self, image: ChatImage) -> str:
        return self.storage.blobs.url(image.storage_key)

    def _save(self, role: str, content: str, message_type: str, metadata: dict[str, Any]) -> Message:
        message = Message(id=new_id(), chat_id=self.chat.id, role=role, content=content, message_type=message_type,
                          created_at=now(), metadata=metadata)
        self.storage.db.save_message(message)
        log.info("message added: %s to chat %s", message.id, self.chat.id)
        return message


def _step_of(message: Message) -> ToolStep:
    meta = message.metadata
    return ToolStep(id=message.id, chat_id=message.chat_id, answer_id=str(meta.get("answer_id") or ""),
                    name=str(meta.get("name") or ""), arguments=dict(meta.get("arguments") or {}),
                    summary=message.content, image_ids=[str(i) for i in meta.get("images") or []],
                    created_at=message.created_at)


def _title(title: str) -> str:
    title = clean_text(title or "", max_length=MAX_TITLE, keep_newlines=False)
    return title or DEFAULT_TITLE


def _needle(text: str | None) -> str | None:
    return clean_text(text or "").strip() or None
