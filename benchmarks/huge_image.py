"""Rendering a huge raster image: the original stored as it was given, against the bounded rendition.

A 30000 x 30000 px PNG (mostly white, so it is small on disk) is ingested; then a zoom crop, a
viewport and a page overview are drawn from it in the renderer's isolated child, once from the
original PNG (what was stored before) and once from the stored rendition (what is stored now), in
the same run. Each render is timed, and the child reports its own peak RSS, which includes what it
inherited from this process (shown as the baseline: the child of a task that does nothing).

    .venv/bin/python -m benchmarks.huge_image
"""

from __future__ import annotations

import io
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from aizoomdoc_core import render
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.isolation import Report, run_isolated

SIDE = 30_000
RENDERS = {"zoom_crop": [0.45, 0.49, 0.52, 0.51], "viewport": [0.48, 0.495, 0.52, 0.505], "page": None}
MEMORY = 4 * 1024**3  # above the renderer's own 2 GB, so that the original's cost is measured, not refused


def huge_png() -> bytes:
    image = Image.new("L", (SIDE, SIDE), 255)
    draw = ImageDraw.Draw(image)
    for x in range(0, SIDE, 600):
        draw.line([(x, 0), (x, SIDE)], fill=0, width=4)
    draw.text((SIDE // 2, SIDE // 2), "VALVE V-12 DN50", fill=0, font=ImageFont.load_default(size=160))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _measured(task: Callable[[Report], Any], report: Report) -> tuple[float, int, str]:
    """Runs in the child: the task's time, the child's peak RSS (MB), and what it drew."""
    start = time.perf_counter()
    result = task(report)
    seconds = time.perf_counter() - start
    drawn = f"{result.width} x {result.height}" if result is not None else "-"
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, drawn


def measure(task: Callable[[Report], Any]) -> tuple[float, int, str]:
    (result,) = run_isolated([partial(_measured, task)], name="benchmark", seconds=600, memory_bytes=MEMORY)
    return result


def main() -> None:
    start = time.perf_counter()
    png = huge_png()
    print(f"{SIDE} x {SIDE} px PNG, {len(png) / 1e6:.1f} MB, made in {time.perf_counter() - start:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "huge.png"
        path.write_bytes(png)
        app = Aizoomdoc.open(Settings.load(data_dir=Path(folder) / "data", environ={}, dotenv_path=None))
        try:
            start = time.perf_counter()
            result = app.ingest(path)
            seconds = time.perf_counter() - start
            readers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
            if result.status != "ok":
                sys.exit(f"ingest failed: {result.error}")
            document = app.get_document(result.document_id or "")
            stored = app.blobs.get(document.blob_key or "")
            print(f"ingest: {seconds:.1f} s, reader peak RSS {readers} MB; stored {len(stored) / 1e6:.2f} MB: "
                  f"{document.metadata.get('stored_file')}")
            print(f"baseline (a child that does nothing): peak RSS {measure(lambda report: None)[1]} MB\n")
            print("| render | stored file | time | child peak RSS | image |")
            print("| --- | --- | ---: | ---: | --- |")
            for kind, box in RENDERS.items():
                for label, data, mime in (("original PNG", png, "image/png"), ("tiled rendition", stored, document.mime)):
                    task = partial(render._render_task, data, mime, document.name, kind, 1, box, ())
                    seconds, peak, drawn = measure(task)
                    print(f"| {kind} | {label} | {seconds:.2f} s | {peak} MB | {drawn} |", flush=True)
        finally:
            app.close()


if __name__ == "__main__":
    main()
