"""The command line: ``python -m aizoomdoc_core [--data-dir DIR] COMMAND ... [--json]``.

With ``--json`` a command prints exactly one JSON document on stdout (the contract in
ARCHITECTURE.md); without it, lines for people. Failures print one line on stderr (and, with
``--json``, ``{"error": ...}`` on stdout) and exit 1, usage errors exit 2 as argparse's do; warnings
such as a fallback to local storage go to stderr and never mix with the JSON.

Lines for people carry names, titles, questions and texts that came from files and from people;
each such value goes through ``shown`` so that no escape sequence or newline in it can act on the
terminal or pose as a line of ours. JSON stays exact: ``json.dumps`` escapes what it must.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from .app import MAX_OFFSET, MAX_PAGE_SIZE, Aizoomdoc
from .config import Settings, describe_error
from .errors import AizoomdocError
from .events import AnswerDelta, AnswerDone, ImageReady, Notice, ToolCalled
from .migrate import migrate_configured
from .sheet_index import DISAGREEMENT


TEXT_LINES = 8  # changed words a sheet lists in the text output (--json has them all)


class Reply(NamedTuple):
    """What a command answers: the JSON document (``--json``), the text for people, the exit code."""

    document: Any
    text: str
    code: int


Handler = Callable[[argparse.Namespace, Settings], Reply]  # what the parser's ``handler`` default is
Command = Callable[[argparse.Namespace, Aizoomdoc], Reply]  # a command that works on the open core

USAGE_ERROR = 2  # argparse's exit code for a command line it cannot use

# Control characters (C0 with tab, CR and LF; DEL; C1 with CSI \x9b) and the Unicode line and
# paragraph separators, each replaced by its visible escape.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES |= {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_ESCAPES_KEEPING_LINES = {c: e for c, e in _ESCAPES.items() if c != 0x0A}


def shown(value: object, *, lines: bool = False) -> str:
    """``value`` as it may be printed on a terminal: every control character escaped visibly.

    A file named ``evil\\x1b[2J\\nFAKE: ok.pdf`` would otherwise clear the screen and print a line
    that looks like ours. ``lines=True`` keeps the newlines of a text that has lines of its own (an
    answer, a message); anything else stays on its line.
    """
    return str(value).translate(_ESCAPES_KEEPING_LINES if lines else _ESCAPES)


def _integer(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number from ``low`` to ``high``: a number out of range is a
    usage error at once, not an OverflowError from the database (SQLite's integers are 64 bits)."""

    def integer(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}")
        return value

    return integer


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """An argparse parser that hands its usage errors to ``main`` instead of exiting, so that
    under ``--json`` they can be answered in JSON (subcommands' parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m aizoomdoc_core",
        description="Ask questions of technical drawings: storage, documents, search and chats.",
    )
    parser.add_argument("--data-dir", help="data directory (default: $AIZOOMDOC_DATA_DIR or ./data)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens on stderr")
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    migrate = commands.add_parser("migrate", parents=[common], help="create or upgrade the database schema")
    migrate.set_defaults(handler=cmd_migrate)
    check = commands.add_parser("check", parents=[common], help="say which backends are configured and reachable")
    check.set_defaults(handler=cmd_check)

    sync = commands.add_parser("sync", parents=[common], help="push what waited for the cloud while it was unreachable")
    sync.set_defaults(handler=cmd_sync)

    ingest = commands.add_parser("ingest", parents=[common], help="read files into documents")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--password", help="password of encrypted PDFs")
    ingest.set_defaults(handler=cmd_ingest)
    documents = commands.add_parser("documents", parents=[common], help="the ingested documents")
    documents.set_defaults(handler=cmd_documents)
    versions = commands.add_parser("compare", parents=[common],
                                   help="what changed between two versions of a set, sheet by sheet")
    versions.add_argument("old", metavar="OLD", help="the earlier version's document id")
    versions.add_argument("new", metavar="NEW", help="the later version's document id")
    versions.add_argument("--overlays", type=Path, metavar="DIR",
                          help="also write each changed sheet's overlay here as PNG")
    versions.set_defaults(handler=cmd_compare)
    sheets = commands.add_parser("sheets", parents=[common],
                                 help="a document's sheets checked against its drawing list")
    sheets.add_argument("document", metavar="DOCUMENT", help="document id (see documents)")
    sheets.set_defaults(handler=cmd_sheets)
    references = commands.add_parser("references", parents=[common],
                                     help="callouts and references between sheets, resolved to their targets")
    references.add_argument("document", metavar="DOCUMENT", help="document id (see documents)")
    references.add_argument("--page", type=_integer(1, MAX_OFFSET), help="only this page")
    references.set_defaults(handler=cmd_references)
    index = commands.add_parser("index", parents=[common],
                                help="make the dense vectors that wait (the app makes them in the background)")
    index.set_defaults(handler=cmd_index)
    search = commands.add_parser("search", parents=[common], help="ranked blocks for a question or a code")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--top", type=_integer(1, MAX_PAGE_SIZE), default=10)
    search.add_argument("--document", action="append", metavar="ID", help="only in this document (repeatable)")
    search.set_defaults(handler=cmd_search)

    ask = commands.add_parser("ask", parents=[common], help="answer a question with cited evidence")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--chat", metavar="ID", help="continue this chat")
    ask.add_argument("--document", metavar="ID", action="append", dest="documents",
                     help="a new chat searches only this document (repeat for several)")
    ask.add_argument("--offline", action="store_true", help="extractive answer even when an LLM is configured")
    ask.set_defaults(handler=cmd_ask)

    _add_chat_commands(commands.add_parser("chats", help="list, show, rename or delete chats"), common)
    return parser


def _add_chat_commands(chats: _Parser, common: _Parser) -> None:
    chat_commands = chats.add_subparsers(dest="chats_command", required=True, metavar="ACTION")
    listing = chat_commands.add_parser("list", parents=[common], help="chats, newest first")
    listing.add_argument("--limit", type=_integer(1, MAX_PAGE_SIZE), default=50)
    listing.add_argument("--offset", type=_integer(0, MAX_OFFSET), default=0)
    listing.add_argument("--user", help="only this user's chats")
    listing.set_defaults(handler=cmd_chats_list)
    show = chat_commands.add_parser("show", parents=[common], help="one chat with its messages, images and hits")
    show.add_argument("chat_id", metavar="ID")
    show.set_defaults(handler=cmd_chats_show)
    rename = chat_commands.add_parser("rename", parents=[common], help="give a chat a new title")
    rename.add_argument("chat_id", metavar="ID")
    rename.add_argument("title")
    rename.set_defaults(handler=cmd_chats_rename)
    delete = chat_commands.add_parser("delete", parents=[common], help="delete a chat, its rows and its images")
    delete.add_argument("chat_id", metavar="ID")
    delete.set_defaults(handler=cmd_chats_delete)


# -- commands: each returns a Reply --------------------------------------------------------------


def _with_core(*, sync_at_start: bool = True) -> Callable[[Command], Handler]:
    """The one way a command gets the core: opened from the settings before it runs, closed after
    it returns or fails (``sync_at_start=False`` for ``sync``, which pushes the waiting writes itself
    and reports them)."""

    def wrap(command: Command) -> Handler:
        @functools.wraps(command)
        def handler(args: argparse.Namespace, settings: Settings) -> Reply:
            with closing(Aizoomdoc.open(settings, sync_at_start=sync_at_start)) as app:
                return command(args, app)

        return handler

    return wrap


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> Reply:
    state = migrate_configured(settings)  # the configured database itself, never the local fallback
    document = {"database": state.database, "kind": state.kind, "revision": state.revision}
    return Reply(document, f"{shown(state.database)}: schema at revision {state.revision}", 0)


@_with_core()
def cmd_check(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    statuses = app.check()
    waiting = app.waiting()
    lines = []
    for s in statuses:
        if not s.configured and s.component == "llm":
            state = "not configured"
        elif s.reachable:
            state = "in use" if s.in_use else "reachable"
        else:
            state = f"UNREACHABLE: {shown(s.error)}"
        lines.append(f"{s.component:<9} {s.kind:<11} {state}  ({shown(s.location)})")
    if queued := waiting["database"] + waiting["blobs"]:
        lines.append(f"spool     {queued} items wait for the cloud (python -m aizoomdoc_core sync)")
    failed = any(s.configured and not s.reachable for s in statuses)
    return Reply([s.to_json() for s in statuses], "\n".join(lines), 1 if failed else 0)


@_with_core(sync_at_start=False)
def cmd_sync(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    """Exit 0 when nothing waits any more, 1 when items still wait or the cloud refused some."""
    report = app.sync(level_mirror=True)
    waiting = report.waiting["database"] + report.waiting["blobs"]
    lines = [f"{report.pushed} items pushed, {waiting} waiting, {report.waiting['failed']} refused"]
    if report.mirrored:
        lines.append(f"{report.mirrored} documents copied to the local mirror")
    lines += [f"unreachable: {shown(u)}" for u in report.unreachable] + [f"refused: {shown(e)}" for e in report.errors]
    return Reply(report.to_json(), "\n".join(lines), 0 if waiting == 0 and report.waiting["failed"] == 0 else 1)


@_with_core()
def cmd_ingest(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    results = []
    for path in args.paths:
        result = app.ingest(Path(path), password=args.password)
        results.append(result)
        if result.status == "ok":
            note = " (already ingested)" if result.duplicate else ""
            print(f"{shown(path)}: {result.pages} pages, {result.document_status}{note}", file=sys.stderr)
        else:
            print(f"aizoomdoc: error: {shown(result.error)}", file=sys.stderr)
    ok = sum(r.status == "ok" for r in results)
    return Reply([r.to_json() for r in results], f"{ok} of {len(results)} files ingested", 0 if ok == len(results) else 1)


@_with_core()
def cmd_documents(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    """``dense`` is how many of a document's blocks have their dense vector (or need none), of all;
    null when dense search is off."""
    documents = app.list_documents()
    progress = app.dense_progress([d.id for d in documents])
    dense = {p.document_id: {"done": p.done, "total": p.total} for p in progress or []}
    listing = [{"document_id": d.id, "name": d.name, "pages": d.page_count, "status": d.status,
                "dense": dense.get(d.id)} for d in documents]
    text = "\n".join(
        f"{d.id}  {d.page_count:>4} pages  {d.status:<10}  {_dense_line(dense.get(d.id))}  {shown(d.name)}"
        for d in documents
    )
    return Reply(listing, text or "no documents", 0)


@_with_core()
def cmd_compare(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    """Exit 1 when the versions differ (a sheet changed, added or removed), as ``diff`` does."""
    result = app.compare(args.old, args.new)
    lines = [f"{shown(result.old_name)} -> {shown(result.new_name)} ({result.seconds:.1f} s)"]
    for sheet in result.sheets:
        pages = f"p.{sheet.old_page or '-'} -> p.{sheet.new_page or '-'}"
        lines.append(f"  {sheet.status:<9} {shown(sheet.sheet):<12} {pages:<14} {len(sheet.regions)} regions, "
                     f"{len(sheet.texts)} words")
        for row in sheet.revisions:
            lines.append(f"      revision row {row.kind}: {shown(row.new or row.old or '')}")
        for change in sheet.texts[:TEXT_LINES]:
            lines.append(f"      {change.kind:<7} {shown(change.old or '')} -> {shown(change.new or '')}")
    if args.overlays:
        args.overlays.mkdir(parents=True, exist_ok=True)
        for sheet in result.sheets:
            if sheet.status == "changed" and sheet.old_page and sheet.new_page:
                png = app.compare_overlay(args.old, args.new, sheet.old_page, sheet.new_page)
                (args.overlays / f"page-{sheet.new_page:03d}.png").write_bytes(png)
    differ = any(s.status != "unchanged" for s in result.sheets)
    return Reply(result.to_json(), "\n".join(lines), 1 if differ else 0)


@_with_core()
def cmd_sheets(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    """Exit 1 when the list and the sheets disagree (missing, not listed, a title or revision differs), so a
    script can gate on it; 0 when they agree or there is no list to check against."""
    checked = app.sheet_check(args.document)
    where = f"drawing list on page {', '.join(map(str, checked.index_pages))}" if checked.index_pages else "no drawing list found"
    lines = [f"{shown(checked.document_name)}: {where}; "
             + ", ".join(f"{n} {status}" for status, n in checked.counts().items())]
    for row in checked.rows:
        titles = (f"{row.listed_title} | sheet: {row.sheet_title}" if row.status == "title differs"
                  else f"{row.listed_title} | rev. {row.listed_revision} | sheet: rev. {row.revision}"
                  if row.status == "revision differs" else row.listed_title)
        page = f"p.{row.page}" if row.page else "-"
        lines.append(f"  {row.status:<16} {shown(row.code):<12} {page:>5}  {shown(titles or row.sheet_title or '')}")
    if checked.unread_pages:
        lines.append(f"  pages whose title block names no sheet: {', '.join(map(str, checked.unread_pages))}")
    disagree = any(r.status in DISAGREEMENT for r in checked.rows)
    return Reply(checked.to_json(), "\n".join(lines), 1 if disagree else 0)


@_with_core()
def cmd_references(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    """Exit 0 whatever was resolved: an unresolved reference is a finding, not a failure."""
    found = app.references(args.document, args.page)
    where = f"page {found.page}" if found.page else "all pages"
    lines = [f"{shown(found.document_name)}, {where}: {len(found.references)} references; "
             + ", ".join(f"{n} {status}" for status, n in found.counts().items())]
    lines += [f"  p.{r.page:<4} {r.kind:<8} {r.status:<18} {shown(r.described(here=found.document_id))}"
              for r in found.references]
    return Reply(found.to_json(), "\n".join(lines), 0)


def _dense_line(dense: dict[str, int] | None) -> str:
    if dense is None:
        return "dense off"
    return f"dense {dense['done']}/{dense['total']}"


@_with_core()
def cmd_index(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    done = app.build_dense_index(lambda n: print(f"{n} blocks indexed", file=sys.stderr))
    return Reply({"indexed": done}, f"{done} blocks indexed", 0)


@_with_core()
def cmd_search(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    hits = app.search(args.query, top=args.top, document_ids=args.document)
    text = "\n\n".join(
        f"{h.score:7.2f}  {shown(h.document_name)} p.{h.page}" + (f" [{shown(h.sheet_code)}]" if h.sheet_code else "")
        + f" {h.block_id}\n         " + shown(h.text.replace("\n", " ")[:160])
        for h in hits
    )
    return Reply([h.to_json() for h in hits], text or "no hits", 0)


@_with_core()
def cmd_ask(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    """Streams the answer to stdout as it comes (without --json); the JSON is the saved result."""
    result = None
    for event in app.ask(args.question, chat_id=args.chat, offline=args.offline, document_ids=args.documents):
        if isinstance(event, AnswerDelta) and not args.json:
            print(shown(event.text, lines=True), end="", flush=True)
        elif isinstance(event, Notice):
            print(f"aizoomdoc: {shown(event.text)}", file=sys.stderr)
        elif isinstance(event, ImageReady):
            print(f"image {event.image.kind}: {shown(event.caption)} -> {shown(app.image_url(event.image))}", file=sys.stderr)
        elif isinstance(event, ToolCalled):
            print(f"tool {shown(event.name)}: {shown(event.summary)}", file=sys.stderr)
        elif isinstance(event, AnswerDone):
            result = event.result
    assert result is not None  # ask always ends with AnswerDone or raises
    cited = "\n".join(f"[{c['marker']}] page {c['page']} {c['bbox']}" for c in result.citations)
    return Reply(result.to_json(), f"\n\n{cited}\nchat {result.chat_id}", 0)


@_with_core()
def cmd_chats_list(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    chats = app.list_chats(user_id=args.user, limit=args.limit, offset=args.offset)
    text = "\n".join(
        f"{c.id}  {c.updated_at:%Y-%m-%d %H:%M}  {shown(c.title)}  ({c.message_count} messages)" for c in chats
    )
    return Reply([c.to_json() for c in chats], text or "no chats", 0)


@_with_core()
def cmd_chats_show(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    view = app.chat_view(args.chat_id)
    lines = [f"{shown(view.chat.title)}  ({view.chat.id}, {view.chat.created_at:%Y-%m-%d %H:%M})"]
    for message in view.messages:
        lines.append(f"\n[{message.role}] {shown(message.content, lines=True)}")
        for image in (i for i in view.images if i.message_id == message.id):
            where = f" page {image.page}" if image.page else ""
            lines.append(f"  image {image.id} {image.kind} {image.width}x{image.height}{where}")
    return Reply(view.to_json(), "\n".join(lines), 0)


@_with_core()
def cmd_chats_rename(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    chat = app.rename_chat(args.chat_id, args.title)
    return Reply(chat.to_json(), f"renamed {chat.id}: {shown(chat.title)}", 0)


@_with_core()
def cmd_chats_delete(args: argparse.Namespace, app: Aizoomdoc) -> Reply:
    app.delete_chat(args.chat_id)
    return Reply({"deleted": args.chat_id}, f"deleted {args.chat_id}", 0)


# -- entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as usage:
        if not _json_asked(argv):
            argparse.ArgumentParser.error(usage.parser, usage.message)  # argparse's own: usage, then exit 2
        return _fail(f"{usage.parser.prog}: {usage.message}", True, code=USAGE_ERROR)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TerminalFormatter("aizoomdoc: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    as_json = getattr(args, "json", False)
    settings: Settings | None = None
    try:
        settings = Settings.load(data_dir=args.data_dir)
        document, text, code = args.handler(args, settings)
    except AizoomdocError as exc:
        return _fail(str(exc), as_json)
    except Exception as exc:  # a bug or an unexpected backend failure: one line, no traceback
        if os.environ.get("AIZOOMDOC_DEBUG"):
            raise
        message = describe_error(exc, settings) if settings else str(exc).splitlines()[0]
        return _fail(f"{type(exc).__name__}: {message}", as_json)
    if as_json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(text)
    return code


def _json_asked(argv: Sequence[str]) -> bool:
    """Whether ``--json`` (or an abbreviation argparse would take for it) is among the options."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    return any(len(arg) > 2 and "--json".startswith(arg) for arg in options)


class _TerminalFormatter(logging.Formatter):
    """Log lines on stderr are lines on a terminal too: the message (which may name a file or a
    host) is passed through ``shown``; a traceback, with ``-v`` and a bug, keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return shown(super().formatMessage(record))


def _fail(message: str, as_json: bool, *, code: int = 1) -> int:
    print(f"aizoomdoc: error: {shown(message)}", file=sys.stderr)
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    return code
