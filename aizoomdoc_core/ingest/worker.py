"""Reading a file in a separate process, with a time limit and a memory limit.

Hostile PDFs can make MuPDF loop, recurse or allocate gigabytes (a JBIG2 "bomb" declares a
100000 x 100000 image). Reading happens in a forked child: the child gets an address-space limit,
the parent waits at most the time limit, then kills it. A child that dies or overruns becomes one
clear error line; the app process is never at risk.

Why fork and not a fork server or a fresh interpreter: both of those re-import the parent's main
module (Streamlit's, or a script's) or the extractors in every child, about 0.25 s a file, which
doubled the cost of ingesting a typical drawing. The forked child touches no lock another thread
may hold (no logging, no database, no network), and were it ever to hang, the time limit kills it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..errors import AizoomdocError, InvalidInput
from .detect import extract_any
from .extracted import ExtractedDocument
from .pdf import Progress

_CONTEXT = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class ReadLimits:
    seconds: float = 600.0  # for the whole file, OCR included
    memory_bytes: int = 3 * 1024**3  # on top of what the forked child inherits
    max_pages: int = 2000
    ocr: bool = True


def _child(conn: Connection, path: str, name: str, password: str | None, limits: ReadLimits) -> None:
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
            progress=lambda done, total: conn.send(("progress", done, total)),
        )
        conn.send(("done", document))
    except AizoomdocError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("error", f"{name}: reading it needs more than {limits.memory_bytes // 1024**2} MB of memory"))
    except Exception as exc:  # a MuPDF failure nobody foresaw: still one line, not a traceback
        conn.send(("error", f"{name}: cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"))
    finally:
        conn.close()


def read_isolated(
    path: Path, name: str, *, password: str | None, limits: ReadLimits, progress: Progress | None = None
) -> ExtractedDocument:
    """Extract ``path`` in a child process; raise ``InvalidInput`` on any failure or overrun."""
    parent, child = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_child, args=(child, str(path), name, password, limits), daemon=True)
    process.start()
    child.close()
    deadline = time.monotonic() + limits.seconds
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InvalidInput(f"{name}: reading took longer than {limits.seconds:.0f} s; gave up")
            if not parent.poll(min(remaining, 1.0)):
                if not process.is_alive() and not parent.poll(0):
                    raise InvalidInput(f"{name}: the reader crashed on this file (exit code {process.exitcode})")
                continue
            try:
                message: tuple[Any, ...] = parent.recv()
            except EOFError:
                raise InvalidInput(f"{name}: the reader crashed on this file (exit code {process.exitcode})") from None
            if message[0] == "progress":
                if progress:
                    progress(message[1], message[2])
            elif message[0] == "done":
                return message[1]
            else:
                raise InvalidInput(message[1])
    finally:
        if process.is_alive():
            process.kill()
        process.join(timeout=10)
        parent.close()
