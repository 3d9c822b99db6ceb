"""Reading a file in separate processes, with a time limit and a memory limit.

Hostile PDFs can make MuPDF loop, recurse or allocate gigabytes (a JBIG2 "bomb" declares a
100000 x 100000 image). Reading happens in forked children: each child gets an address-space limit,
the parent waits at most the time limit, then kills them. A child that dies or overruns becomes one
clear error line; the app process is never at risk.

A PDF is read by several children at once, each taking every n-th page (one per core, at most
``MAX_READERS``): sheets are independent, and OCR of a scanned set takes seconds per page.

Why fork and not a fork server or a fresh interpreter: both of those re-import the parent's main
module (Streamlit's, or a script's) or the extractors in every child, about 0.25 s a file, which
doubled the cost of ingesting a typical drawing. A forked child touches no lock another thread may
hold (no logging, no database, no network), and were it ever to hang, the time limit kills it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..errors import AizoomdocError, InvalidInput
from .detect import SNIFF_BYTES, extract_any, splits_by_page
from .extracted import ExtractedDocument, document_status, prepare_for_index
from .pdf import Progress

_CONTEXT = multiprocessing.get_context("fork")
MAX_READERS = 4


@dataclass(frozen=True)
class ReadLimits:
    seconds: float = 600.0  # for the whole file, OCR included
    memory_bytes: int = 3 * 1024**3  # per reader, on top of what the forked child inherits
    max_pages: int = 2000
    ocr: bool = True  # whether Tesseract may be used (the caller checks it is installed)
    readers: int = min(MAX_READERS, os.cpu_count() or 1)


def _child(conn: Connection, path: str, name: str, password: str | None, limits: ReadLimits, share: tuple[int, int]) -> None:
    # The child lives for one file: the cyclic garbage collector would only walk (and so copy, page
    # by page) the memory it shares with the parent.
    gc.disable()
    inherited = os.sysconf("SC_PAGE_SIZE") * int(Path("/proc/self/statm").read_text().split()[0])
    resource.setrlimit(resource.RLIMIT_AS, (inherited + limits.memory_bytes, inherited + limits.memory_bytes))
    # MuPDF and Tesseract print warnings about damaged files on stderr; what matters comes back
    # through the pipe as one line, so their chatter does not reach the user's terminal or log.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        document = extract_any(
            Path(path).read_bytes(), name, password=password, max_pages=limits.max_pages, ocr=limits.ocr,
            share=share, progress=lambda done, total: conn.send(("progress", done, total)),
        )
        prepare_for_index(document)
        conn.send(("done", document))
    except AizoomdocError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("error", f"{name}: reading it needs more than {limits.memory_bytes // 1024**2} MB of memory"))
    except Exception as exc:  # a MuPDF failure nobody foresaw: still one line, not a traceback
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        conn.send(("error", f"{name}: cannot be read ({type(exc).__name__}: {reason})"))
    finally:
        conn.close()


def read_isolated(
    path: Path, name: str, *, password: str | None, limits: ReadLimits, progress: Progress | None = None
) -> ExtractedDocument:
    """Extract ``path`` in child processes; raise ``InvalidInput`` on any failure or overrun."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    count = max(1, limits.readers) if splits_by_page(head, name) else 1
    readers: dict[Connection, Any] = {}
    for index in range(count):
        parent, child = _CONTEXT.Pipe(duplex=False)
        process = _CONTEXT.Process(
            target=_child, args=(child, str(path), name, password, limits, (index, count)), daemon=True
        )
        process.start()
        child.close()
        readers[parent] = process
    try:
        return _collect(readers, name, limits.seconds, progress)
    finally:
        for connection, process in readers.items():
            if process.is_alive():
                process.kill()
            process.join(timeout=10)
            connection.close()


def _collect(
    readers: dict[Connection, Any], name: str, seconds: float, progress: Progress | None
) -> ExtractedDocument:
    """Wait for every reader's part, passing on their summed progress; the first error wins."""
    deadline = time.monotonic() + seconds
    done: dict[Connection, int] = {}
    parts: dict[Connection, ExtractedDocument] = {}
    while len(parts) < len(readers):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InvalidInput(f"{name}: reading took longer than {seconds:.0f} s; gave up")
        waiting = [c for c in readers if c not in parts]
        for connection in wait(waiting, timeout=min(remaining, 1.0)):
            try:
                message: tuple[Any, ...] = connection.recv()
            except EOFError:
                code = readers[connection].exitcode
                raise InvalidInput(f"{name}: the reader crashed on this file (exit code {code})") from None
            if message[0] == "progress":
                done[connection] = message[1]
                if progress:
                    progress(sum(done.values()), message[2])
            elif message[0] == "done":
                parts[connection] = message[1]
            else:
                raise InvalidInput(message[1])
    return _merge([parts[c] for c in readers])


def _merge(parts: list[ExtractedDocument]) -> ExtractedDocument:
    """One document from the readers' shares of its pages."""
    if len(parts) == 1:
        return parts[0]
    pages = sorted((page for part in parts for page in part.pages), key=lambda page: page.number)
    metadata = dict(parts[0].metadata)
    metadata["ocr_pages"] = sorted(n for part in parts for n in part.metadata.get("ocr_pages", []))
    warnings = list(dict.fromkeys(w for part in parts for w in part.warnings))
    return ExtractedDocument(
        mime=parts[0].mime, pages=pages, status=document_status(pages), metadata=metadata, warnings=warnings
    )
