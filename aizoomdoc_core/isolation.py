"""Running MuPDF work on untrusted files in forked children, with a time and a memory limit.

Hostile PDFs can make MuPDF loop, recurse or allocate gigabytes (a JBIG2 "bomb" declares a
100000 x 100000 image, decoded only when a page is rendered). Reading and rendering therefore run
in forked children: each child gets an address-space limit, the parent waits at most the time limit,
then kills it. A child that dies or overruns becomes one clear error line; the app process is never
at risk.

Why fork and not a fork server or a fresh interpreter: both of those re-import the parent's main
module (Streamlit's, or a script's) or the extractors in every child, about 0.25 s a call, which
doubled the cost of ingesting a typical drawing. Tasks are closures inherited by the fork, not
pickled. A forked child touches no lock another thread may hold (no logging, no database, no
network), and were it ever to hang, the time limit kills it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from .errors import AizoomdocError, InvalidInput

_CONTEXT = multiprocessing.get_context("fork")

Report = Callable[[int, int], None]  # (done, total): a task's progress
Task = Callable[[Report], Any]  # runs in the child; its return value is pickled back


def _child(conn: Connection, task: Task, name: str, memory_bytes: int) -> None:
    # The child lives for one task: the cyclic garbage collector would only walk (and so copy, page
    # by page) the memory it shares with the parent.
    gc.disable()
    inherited = os.sysconf("SC_PAGE_SIZE") * int(Path("/proc/self/statm").read_text().split()[0])
    resource.setrlimit(resource.RLIMIT_AS, (inherited + memory_bytes, inherited + memory_bytes))
    # MuPDF and Tesseract print warnings about damaged files on stderr; what matters comes back
    # through the pipe as one line, so their chatter does not reach the user's terminal or log.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        conn.send(("done", task(lambda done, total: conn.send(("progress", done, total)))))
    except AizoomdocError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("error", f"{name}: needs more than {memory_bytes // 1024**2} MB of memory"))
    except Exception as exc:  # a MuPDF failure nobody foresaw: still one line, not a traceback
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        conn.send(("error", f"{name}: cannot be read ({type(exc).__name__}: {reason})"))
    finally:
        conn.close()


def run_isolated(
    tasks: Sequence[Task], *, name: str, seconds: float, memory_bytes: int, progress: Report | None = None
) -> list[Any]:
    """Run each task in its own child at once; their results in order, or ``InvalidInput``.

    ``progress`` gets the tasks' summed progress. The first error, crash or overrun ends them all.
    """
    children: dict[Connection, BaseProcess] = {}
    for task in tasks:
        parent, child = _CONTEXT.Pipe(duplex=False)
        process = _CONTEXT.Process(target=_child, args=(child, task, name, memory_bytes), daemon=True)
        process.start()
        child.close()
        children[parent] = process
    try:
        results = _collect(children, name, seconds, progress)
        return [results[c] for c in children]
    finally:
        for connection, worker in children.items():
            if worker.is_alive():
                worker.kill()
            worker.join(timeout=10)
            connection.close()


def _collect(
    children: dict[Connection, BaseProcess], name: str, seconds: float, progress: Report | None
) -> dict[Connection, Any]:
    deadline = time.monotonic() + seconds
    done: dict[Connection, int] = {}
    results: dict[Connection, Any] = {}
    while len(results) < len(children):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InvalidInput(f"{name}: took longer than {seconds:g} s; gave up")
        pending = [c for c in children if c not in results]
        ready = wait(pending, timeout=min(remaining, 1.0))
        for connection in (c for c in pending if c in ready):
            try:
                message: tuple[Any, ...] = connection.recv()
            except EOFError:
                code = children[connection].exitcode
                raise InvalidInput(f"{name}: the reader crashed on this file (exit code {code})") from None
            if message[0] == "progress":
                done[connection] = message[1]
                if progress:
                    progress(sum(done.values()), message[2])
            elif message[0] == "done":
                results[connection] = message[1]
            else:
                raise InvalidInput(message[1])
    return results
