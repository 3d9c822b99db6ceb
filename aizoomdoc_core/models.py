"""Plain records passed between the layers.

They mirror the rows of ``storage.schema`` with the types a caller wants (``datetime``, lists for
bboxes) and know how to become the JSON documents of the CLI contract (``to_json``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

BBox = list[float]  # [x0, y0, x1, y1], 0..1 of the page as displayed, origin top-left


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, _Record):
        return value.to_json()
    return value


class _Record:
    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (datetimes in ISO 8601)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass
class Chat(_Record):
    id: str
    title: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Message(_Record):
    id: str
    chat_id: str
    role: str
    content: str
    message_type: str
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def from_model(self) -> bool:
        """Written by the model (Markdown to format) rather than by a person or the extractive
        answer, whose quotes of the documents are shown as the text they are."""
        return self.message_type == "answer"

    @property
    def citations(self) -> list[Citation]:
        """The sources the answer cites (an old or hand-made row may hold fewer fields)."""
        return [Citation.from_json(c) for c in self.metadata.get("citations") or [] if isinstance(c, dict)]


@dataclass(frozen=True)
class Citation:
    """Where a claim of an answer comes from: a block (``[Bn]``) or an image (``[In]``) of a page."""

    marker: str | None
    document_id: str | None
    page: int | None
    bbox: BBox | None
    block_id: str | None = None
    image_id: str | None = None  # an image citation's image

    def to_json(self) -> dict[str, Any]:
        """As stored in an answer's metadata and printed by ``ask --json`` (``image_id`` only for images)."""
        data: dict[str, Any] = {"marker": self.marker, "document_id": self.document_id, "page": self.page,
                                "bbox": self.bbox, "block_id": self.block_id}
        if self.image_id is not None:
            data["image_id"] = self.image_id
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Citation:
        return cls(data.get("marker"), data.get("document_id"), data.get("page"), data.get("bbox"),
                   data.get("block_id"), data.get("image_id"))


@dataclass
class ChatImage(_Record):
    id: str
    chat_id: str
    message_id: str | None
    name: str
    kind: str
    storage_key: str
    mime: str
    width: int
    height: int
    document_id: str | None
    page: int | None
    bbox: BBox | None
    scale: float | None
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResult(_Record):
    id: str
    chat_id: str
    message_id: str | None
    document_id: str
    document_name: str
    block_id: str
    page: int
    text: str
    bbox: BBox
    score: float
    rank: int
    created_at: datetime


@dataclass
class ToolStep(_Record):
    """One call of a model's tool and what came of it, as the chat's status box showed it live.

    Stored as a ``tool`` row of the chat's messages, made while its answer was.
    """

    id: str
    chat_id: str
    answer_id: str  # the assistant message the step was taken for
    name: str
    arguments: dict[str, Any]
    summary: str  # the result's first line
    image_ids: list[str]
    created_at: datetime


@dataclass
class ChatSummary(_Record):
    """A chat as History lists it: enough to recognise it without opening it."""

    id: str
    title: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    message_count: int
    first_question: str | None


@dataclass
class ChatView(_Record):
    """A whole chat as it was shown: messages with their images, search results and the model's steps."""

    chat: Chat
    messages: list[Message]
    images: list[ChatImage]
    search_results: list[SearchResult]
    steps: list[ToolStep] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.chat.to_json(),
            "messages": [m.to_json() for m in self.messages],
            "images": [i.to_json() for i in self.images],
            "search_results": [r.to_json() for r in self.search_results],
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass
class DocumentInfo(_Record):
    id: str
    name: str
    sha256: str
    mime: str
    size_bytes: int
    page_count: int
    blob_key: str | None
    status: str  # "ready", or "image_only" when no text could be had
    error: str | None
    metadata: dict[str, Any]
    created_at: datetime


@dataclass
class PageInfo(_Record):
    """One page of a document as stored: its size as displayed and what its title block says."""

    document_id: str
    number: int  # 1-based, as people count pages
    width_pt: float  # as displayed, after /Rotate
    height_pt: float
    rotation: int
    has_text_layer: bool
    sheet_code: str | None
    sheet_title: str | None
    metadata: dict[str, Any]

    @property
    def title_block(self) -> dict[str, Any]:
        """The fields read from the sheet's title block (empty when it has none)."""
        return dict(self.metadata.get("title_block", {}))


@dataclass
class PageView(_Record):
    """A region of a page as the viewer shows it, drawn from the original at the size it is shown.

    ``drawable`` is False for a text-only document (the earlier pipeline's Markdown or HTML): it has
    pages and blocks but no picture, and ``png`` is None. ``region`` is what the image shows,
    normalized to the displayed page; ``page_pt`` is that page's size in points (1/72 inch), so a
    viewer can lay the region out on the sheet and say how large a millimetre is.
    """

    document_id: str
    page: int  # 1-based
    page_count: int
    drawable: bool
    region: BBox
    page_pt: tuple[float, float]
    png: bytes | None
    width: int  # pixels of ``png`` (0 when not drawable)
    height: int

    def to_json(self) -> dict[str, Any]:
        """The view without its pixels (their size stays): for logs and the CLI."""
        data = super().to_json()
        data["png"] = None if self.png is None else len(self.png)
        return data


@dataclass
class StoredBlock(_Record):
    """One text block as ingest stores it with its document; the store gives it its integer id."""

    document_id: str
    page: int
    block_key: str  # the block id shown in hits and citations
    kind: str
    text: str
    bbox: BBox
    metadata: dict[str, Any]
    terms: str  # space-separated search terms (``terms.index_terms``)
    term_count: int


@dataclass
class BlockRecord(_Record):
    """One indexed text block with what search ranks it by: its terms, its page's sheet fields and
    its document's name. ``id`` is the store's own integer key (a mirror numbers blocks its own
    way); ``block_key`` names the block in hits and citations, the same in every store."""

    id: int
    document_id: str
    document_name: str
    page: int
    block_key: str
    kind: str
    text: str
    bbox: BBox
    terms: str  # space-separated search terms (``terms.index_terms``)
    term_count: int
    sheet_code: str | None
    sheet_title: str | None


@dataclass
class BackendStatus(_Record):
    """One backend as the app sees it: configured, reachable, in use."""

    component: str  # "database", "blobs" or "llm"
    kind: str  # "sqlite", "postgresql", "local", "s3", "openai"
    configured: bool
    reachable: bool | None  # None: not tried
    in_use: bool
    location: str
    error: str | None = None


@dataclass(frozen=True)
class BlockText:
    """A block waiting for its dense vector: what the embedder reads, and the key the vector is
    saved under (``block_key`` within its document: the same in the cloud and in the mirror)."""

    document_id: str
    block_key: str
    text: str


@dataclass(frozen=True)
class BlockVector:
    """A block's dense vector, or None for a block with nothing worth embedding (a lone number,
    punctuation): saved all the same, so that the block counts as done and is not read again."""

    document_id: str
    block_key: str
    embedding: Any  # numpy float32 array of the model's dimension, L2-normalised, or None


@dataclass
class DenseProgress(_Record):
    """How far a document's dense index is: blocks with a vector (or judged empty) of all blocks."""

    document_id: str
    done: int
    total: int
