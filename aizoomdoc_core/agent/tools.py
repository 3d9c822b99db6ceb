"""The model's tools, each a small class: its docstring and its typed parameters are its schema.

The JSON schema the model reads is generated from each tool's ``Params`` dataclass (field names,
types, ``Doc`` descriptions, defaults) and its docstring, and the arguments the model sends are
parsed into that same dataclass before the tool runs, once: the schema and what the tool accepts
cannot drift apart. Dispatch is the registry of ``Toolbox``, by name.

Every tool is read-only (search, look at a page, zoom into a region, check the drawing list,
compare two versions), and every failure the model
can correct comes back to it as a one-line ``Error: ...`` result rather than ending the question.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from ..compare import compare
from ..config import Settings
from ..errors import AizoomdocError, InvalidInput
from ..events import Event, ImageReady
from ..library import Library, Sheet
from ..models import ChatImage, DocumentInfo
from ..render import Renderer, clamp_bbox, drawable
from ..sanitize import parse_id
from ..sheet_diff import TextChange
from .evidence import Evidence, hit_line, snippet

REFERENCE_LINES = 20  # of a page's references, those view_page lists
TOP_HITS = 12  # hits of a search, the question's own and the model's
REGION_BLOCKS = 40  # blocks of a region a text-only model reads instead of its picture
COMPARED_REGIONS = 6  # regions of a changed sheet the model reads (it zooms into them)
COMPARED_WORDS = 12  # changed words of a sheet the model reads
WHOLE_PAGE = 0.95  # a zoom wider and taller than this is a view of the page

P = TypeVar("P")


@dataclass(frozen=True)
class Doc:
    """A parameter's description for the model, and for a list, how many items it takes."""

    text: str = ""
    items: int | None = None


@dataclass
class Context:
    """What the tools of one question may use."""

    evidence: Evidence
    library: Library
    renderer: Renderer
    settings: Settings
    scope: list[str] | None  # the chat's documents: the model narrows it, never widens it

    @property
    def images_left(self) -> int:
        """The question's image budget, those shown before the model was asked included."""
        return self.settings.max_images - len(self.evidence.images)


@dataclass
class Outcome:
    """What a tool call gives: the result the model reads, and the images it stored."""

    result: str
    images: list[ChatImage] = field(default_factory=list)


class Tool(Generic[P]):
    """A tool: ``name``, a docstring for the model, ``Params`` and ``run``."""

    name: ClassVar[str]
    Params: ClassVar[type]

    def run(self, params: P, context: Context) -> Generator[Event, None, Outcome]:
        raise NotImplementedError

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The tool as the Chat Completions ``tools`` list declares it."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, (kind, doc, has_default) in _parameters(cls.Params).items():
            properties[name] = {**_json_type(kind, doc), **({"description": doc.text} if doc.text else {})}
            if not has_default:
                required.append(name)
        return {"type": "function", "function": {
            "name": cls.name, "description": " ".join((cls.__doc__ or "").split()),
            "parameters": {"type": "object", "properties": properties, "required": required},
        }}

    @classmethod
    def parse(cls, arguments: dict[str, Any]) -> P:
        """The arguments as ``Params``: each one required unless it has a default, of its type
        (a number sent as text is taken), no other; the dataclass checks the rest."""
        values = {}
        for name, (kind, doc, has_default) in _parameters(cls.Params).items():
            value = arguments.get(name)
            if value is None:
                if not has_default:
                    raise InvalidInput(f"{name} is required")
                continue
            values[name] = _coerce(name, value, kind, doc)
        params: P = cls.Params(**values)
        return params


# -- the tools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchParams:
    query: Annotated[str, Doc("Words or codes to look for.")]
    document_ids: Annotated[list[str] | None, Doc("Optional: only these documents.")] = None


class SearchDocuments(Tool[SearchParams]):
    """Full-text search over the documents of this chat. Returns ranked text blocks, each with a
    marker [Bn] to cite, its document, page, sheet and bbox. Codes match exactly."""

    name = "search_documents"
    Params = SearchParams

    def run(self, params: SearchParams, context: Context) -> Generator[Event, None, Outcome]:
        yield from ()  # a tool that shows no image yields no event
        scope = context.scope
        ids = [parse_id(i, "document id") for i in params.document_ids or []] or scope
        if scope and not set(ids or []) <= set(scope):
            raise InvalidInput("that document is not in this chat's scope")
        hits = context.library.search(params.query, top=TOP_HITS, document_ids=ids)
        if not hits:
            return Outcome(f"No blocks match {params.query!r}.")
        return Outcome("\n".join(hit_line(context.evidence.add_hit(hit), hit) for hit in hits))


@dataclass(frozen=True)
class PageParams:
    document_id: Annotated[str, Doc()]
    page: Annotated[int, Doc("1-based page number.")]


class ViewPage(Tool[PageParams]):
    """The whole page as an image with a coordinate grid in tenths of the page (0.1 ... 0.9), plus
    the sheet's title-block fields. Use it to find where on the sheet to zoom."""

    name = "view_page"
    Params = PageParams

    def run(self, params: PageParams, context: Context) -> Generator[Event, None, Outcome]:
        return (yield from _look(context, params, "page", None))


@dataclass(frozen=True)
class ZoomParams(PageParams):
    bbox: Annotated[list[float], Doc(items=4)]
    reason: Annotated[str, Doc("What you expect to read there.")] = ""

    def __post_init__(self) -> None:
        if len(self.bbox) != 4:
            raise InvalidInput("bbox needs four numbers [x0, y0, x1, y1]")
        x0, y0, x1, y1 = self.region
        if abs(x1 - x0) < 1e-3 or abs(y1 - y0) < 1e-3:
            raise InvalidInput("the bbox has no area; give [x0, y0, x1, y1] with x0 < x1 and y0 < y1 in 0..1")

    @property
    def region(self) -> list[float]:
        """The bbox inside the page."""
        return [min(1.0, max(0.0, v)) for v in self.bbox]

    @property
    def whole_page(self) -> bool:
        x0, y0, x1, y1 = self.region
        return abs(x1 - x0) > WHOLE_PAGE and abs(y1 - y0) > WHOLE_PAGE


class Zoom(Tool[ZoomParams]):
    """A sharp image of a region of a page, rendered so that its text is legible. bbox is
    [x0, y0, x1, y1] in fractions of the page (0..1, origin top left), as on the view_page grid."""

    name = "zoom"
    Params = ZoomParams

    def run(self, params: ZoomParams, context: Context) -> Generator[Event, None, Outcome]:
        if params.whole_page:  # the whole page is what view_page shows
            return (yield from _look(context, params, "page", None))
        return (yield from _look(context, params, "zoom_crop", clamp_bbox(params.region, minimum=0.001)))


@dataclass(frozen=True)
class SheetsParams:
    document_id: Annotated[str, Doc()]


class CheckSheets(Tool[SheetsParams]):
    """The set's drawing list (sheet index, «ведомость чертежей») checked against its sheets' title
    blocks: each listed sheet with its page, and which are missing, not listed or titled otherwise.
    Use it for questions about the set's completeness; cite the list's marker."""

    name = "check_sheets"
    Params = SheetsParams

    def run(self, params: SheetsParams, context: Context) -> Generator[Event, None, Outcome]:
        yield from ()  # a tool that shows no image yields no event
        document = context.evidence.document(params.document_id)
        if context.scope and document.id not in context.scope:
            raise InvalidInput("that document is not in this chat's scope")
        check = context.library.sheet_check(document.id)
        if not check.index_pages:
            return Outcome(f"No drawing list was found in {document.name}.")
        markers = " ".join(f"[{context.evidence.add_hit(h)}]" for h in context.library.list_headings(check)[:1])
        lines = [f"{document.name}: drawing list on page {', '.join(map(str, check.index_pages))} {markers}".rstrip()]
        lines += [f"{r.status}: {r.code} listed as {r.listed_title!r}, sheet says {r.sheet_title!r}, page {r.page}"
                  for r in check.rows]
        if check.unread_pages:
            lines.append(f"pages whose title block names no sheet: {check.unread_pages}")
        return Outcome("\n".join(lines))


@dataclass(frozen=True)
class VersionsParams:
    old_document_id: Annotated[str, Doc("The earlier version.")]
    new_document_id: Annotated[str, Doc("The later version.")]


class CompareVersions(Tool[VersionsParams]):
    """Two versions of a set compared sheet by sheet (matched by sheet code): which sheets changed,
    their changed regions (bbox on the later sheet) and the words edited, added or removed. Use it
    for questions about what changed; then zoom into a region on both versions to show it."""

    name = "compare_versions"
    Params = VersionsParams

    def run(self, params: VersionsParams, context: Context) -> Generator[Event, None, Outcome]:
        yield from ()  # a tool that shows no image yields no event
        old, new = (context.evidence.document(i) for i in (params.old_document_id, params.new_document_id))
        if context.scope and not {old.id, new.id} <= set(context.scope):
            raise InvalidInput("that document is not in this chat's scope")
        result = compare(context.library, context.renderer, old.id, new.id)
        lines = [f"{old.name} (document_id {old.id}) -> {new.name} (document_id {new.id}):"]
        for sheet in result.sheets:
            if sheet.status == "unchanged":
                continue
            words = "; ".join(_changed(c) for c in sheet.texts[:COMPARED_WORDS])
            lines.append(f"{sheet.status}: sheet {sheet.sheet}, old page {sheet.old_page}, new page {sheet.new_page}, "
                         f"regions {sheet.regions[:COMPARED_REGIONS]}" + (f", words: {words}" if words else "")
                         + "".join(f", revision row {r.kind}: {(r.new or r.old)!r}" for r in sheet.revisions))
        if len(lines) == 1:
            lines.append("no sheet changed")
        return Outcome("\n".join(lines))


def _changed(change: TextChange) -> str:
    if change.kind == "edited":
        return f"edited {change.old!r} -> {change.new!r}"
    return f"{change.kind} {(change.new or change.old)!r}"


def _look(context: Context, params: PageParams, kind: str, bbox: list[float] | None) -> Generator[Event, None, Outcome]:
    """The one path of ``view_page`` and ``zoom``: check the page, draw it or its region, store the
    image, and say what it shows (for a text-only model, the region's text stands in for it)."""
    document = _page_of(context, params)
    if context.images_left <= 0:
        raise InvalidInput("the image budget for this question is spent; answer with what you have")
    rendered = context.renderer.render(kind, document, params.page, bbox)
    sheet = context.library.sheet(document.id, params.page)
    ready = context.evidence.store(kind, document, params.page, rendered, sheet.code)
    yield ready
    shown = (ready.image.bbox if bbox is not None else None) or [0.0, 0.0, 1.0, 1.0]
    text = _described(ready, sheet) + _region_text(context, document, params.page, shown)
    if kind == "page":
        text += _references_text(context, document, params.page)
    return Outcome(text, [ready.image])


def _described(ready: ImageReady, sheet: Sheet) -> str:
    image = ready.image
    if image.kind == "page":
        return f"{ready.caption}: the whole page with a grid in tenths. Title block: {sheet.described()}."
    text_px = image.metadata.get("text_px")
    size = f"text about {text_px:g} px tall" if text_px else "no text layer: scanned at native resolution"
    return f"{ready.caption}, region {image.bbox}, {image.width}x{image.height} px, {size}."


def _page_of(context: Context, params: PageParams) -> DocumentInfo:
    document = context.evidence.document(params.document_id)
    if context.scope and document.id not in context.scope:
        raise InvalidInput("that document is not in this chat's scope")
    if not 1 <= params.page <= document.page_count:
        raise InvalidInput(f"page {params.page} does not exist; {document.name} has pages 1 to {document.page_count}")
    if not drawable(document):
        raise InvalidInput(f"{document.name} is a text document: use search_documents")
    return document


def _references_text(context: Context, document: DocumentInfo, page: int) -> str:
    """The page's references to sheets, details and documents, with where each leads: what the model
    zooms into next to follow one. A standard is named on the page itself, and a target outside the
    chat's documents is not named (the scope is never widened)."""
    found = [r for r in context.library.references(document.id, page).references if r.kind != "standard"]
    outside = [r for r in found if r.target and context.scope and r.target.document_id not in context.scope]
    lines = [r.described(here=document.id) if r not in outside else f"{r.text} -> a document outside this chat"
             for r in found[:REFERENCE_LINES]]
    return "\nReferences on this page:\n" + "\n".join(lines) if lines else ""


def _region_text(context: Context, document: DocumentInfo, page: int, bbox: list[float]) -> str:
    if context.settings.llm_vision:
        return ""
    blocks = context.library.blocks_in_region(document.id, page, bbox)
    lines = [f"[{context.evidence.add_hit(hit)}] {snippet(hit.text)}" for hit in blocks[:REGION_BLOCKS]]
    return "\nText in this region:\n" + ("\n".join(lines) or "(none)")


# -- the registry -------------------------------------------------------------------------------


@dataclass
class Step:
    """One call as the user is shown it and the chat keeps it, and the result the model reads."""

    name: str
    arguments: dict[str, Any]
    summary: str
    outcome: Outcome


class Toolbox:
    """The tools by name: their schemas for the request, and running a call the model made."""

    def __init__(self, tools: list[Tool[Any]]) -> None:
        self.tools = {tool.name: tool for tool in tools}

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self.tools.values()]

    def call(self, name: str, arguments: str, context: Context) -> Generator[Event, None, Step]:
        """Run the call: its arguments parsed by the tool's ``Params``; every failure the model
        can correct (and a store that went away) comes back as an error result."""
        try:
            parsed = json.loads(arguments or "{}")
            if not isinstance(parsed, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            result = f"Error: the arguments are not valid JSON ({exc}). Send a JSON object as the schema says."
            return Step(name, {}, "malformed arguments", Outcome(result))
        tool = self.tools.get(name)
        try:
            if tool is None:
                raise InvalidInput(f"there is no tool named {name!r}.")
            outcome = yield from tool.run(tool.parse(parsed), context)
        except AizoomdocError as exc:  # incl. a document store that went away
            outcome = Outcome(f"Error: {exc}")
        return Step(name, parsed, outcome.result.splitlines()[0][:200], outcome)


TOOLS = Toolbox([SearchDocuments(), ViewPage(), Zoom(), CheckSheets(), CompareVersions()])


# -- schema and parsing from the type annotations -----------------------------------------------


@functools.cache
def _parameters(params: type) -> dict[str, tuple[Any, Doc, bool]]:
    """Each field of a ``Params`` dataclass: (its type without None, its Doc, whether it has a default)."""
    hints = typing.get_type_hints(params, include_extras=True)
    found = {}
    for item in dataclasses.fields(params):
        hint = hints[item.name]
        doc = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Doc)), Doc())
        kind = typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        defaulted = item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
        found[item.name] = (kind, doc, defaulted)
    return found


_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number"}
_NAMES: dict[Any, str] = {str: "a string", int: "an integer", float: "a number"}


def _json_type(kind: Any, doc: Doc) -> dict[str, Any]:
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        schema: dict[str, Any] = {"type": "array", "items": {"type": _JSON_TYPES[item]}}
        if doc.items is not None:
            schema.update(minItems=doc.items, maxItems=doc.items)
        return schema
    return {"type": _JSON_TYPES[kind]}


def _coerce(name: str, value: Any, kind: Any, doc: Doc) -> Any:
    if typing.get_origin(kind) is list:
        if not isinstance(value, list):
            raise InvalidInput(f"{name} must be a list")
        (item,) = typing.get_args(kind)
        return [_coerce(name, v, item, doc) for v in value]
    if kind is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    if kind in (int, float) and not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if kind is float and number == number:
            return number
        if kind is int and number.is_integer():
            return int(number)
    raise InvalidInput(f"{name} must be {_NAMES.get(kind, 'a value')}, not {json.dumps(value)[:40]}")
