"""Evidence quality and cost of ``ask --offline`` over the corpus questions, with baselines.

    .venv/bin/python -m benchmarks.ask_benchmark

For every question whose answer is printed on a drawable page (PDFs with a text layer), it asks
offline and measures:
(a) legible evidence: whether an image sent contains the answer's text (the answer's rectangle on
    the expected page, found by PyMuPDF) rendered at least ``LEGIBLE_PX`` tall (its font size times
    the image's scale);
(b) the pixels sent per question;
(c) the time of everything but a model (search, render, store), median and worst.
Baselines on the same answers: a 2000 px preview of the whole page, and the earlier pipeline's four
quadrants of 55% of the page at 2000 px, as text height in pixels.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pymupdf

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.events import AnswerDone
from benchmarks.search_benchmark import CORPUS, QUESTIONS, ROOT, SAME_PAGES

LEGIBLE_PX = 16.0


def answer_spans(path: Path, page_number: int, answer: str) -> list[tuple[list[float], float]]:
    """Where ``answer`` is printed on the page: (normalized displayed bbox, font size) per occurrence."""
    with pymupdf.open(path) as doc:
        page = doc[page_number - 1]
        found = []
        for rect in page.search_for(answer):
            sizes = [
                span["size"]
                for block in page.get_text("dict", clip=rect)["blocks"]
                for line in block.get("lines", [])
                for span in line["spans"]
                if span["text"].strip()
            ]
            shown = rect * page.rotation_matrix
            shown.normalize()
            width, height = page.rect.width, page.rect.height
            bbox = [shown.x0 / width, shown.y0 / height, shown.x1 / width, shown.y1 / height]
            if sizes:
                found.append((bbox, min(sizes)))
        return found


def covers(image_bbox: list[float], bbox: list[float]) -> bool:
    return (image_bbox[0] <= bbox[0] + 1e-3 and image_bbox[1] <= bbox[1] + 1e-3
            and image_bbox[2] >= bbox[2] - 1e-3 and image_bbox[3] >= bbox[3] - 1e-3)


def main() -> None:
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as data:
        app = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
        for path in sorted(CORPUS.glob("[ABC]/*")):
            app.ingest(path)
        documents = {d.name: d for d in app.list_documents()}
        for q in questions:
            path = CORPUS / q["document"]
            if path.suffix.lower() != ".pdf" or path.name not in documents:
                continue
            spans = answer_spans(path, q["page"], q["answer"])
            if not spans:
                continue  # no text layer for it (scans, annotation-only text): not measurable this way
            started = time.perf_counter()
            result = next(e.result for e in app.ask(q["question"], offline=True) if isinstance(e, AnswerDone))
            elapsed = time.perf_counter() - started
            expected = documents[path.name].id
            legible = False
            for image in result.images:
                if image["document_id"] != expected or image["page"] != q["page"]:
                    continue
                for bbox, size in spans:
                    if covers(image["bbox"], bbox) and size * image["scale"] >= LEGIBLE_PX:
                        legible = True
            with pymupdf.open(path) as doc:
                longest = max(doc[q["page"] - 1].rect.width, doc[q["page"] - 1].rect.height)
            size = min(s for _, s in spans)
            rows.append({
                "id": q["id"], "legible": legible, "pixels": sum(i["width"] * i["height"] for i in result.images),
                "seconds": elapsed, "preview_px": size * 2000 / longest, "quadrant_px": size * 2000 / (0.55 * longest),
            })
        app.close()
    n = len(rows)
    seconds = sorted(r["seconds"] for r in rows)
    report = {
        "questions": n,
        "legible_share": sum(r["legible"] for r in rows) / n,
        "preview_legible_share": sum(r["preview_px"] >= LEGIBLE_PX for r in rows) / n,
        "quadrant_legible_share": sum(r["quadrant_px"] >= LEGIBLE_PX for r in rows) / n,
        "median_preview_px": statistics.median(r["preview_px"] for r in rows),
        "median_quadrant_px": statistics.median(r["quadrant_px"] for r in rows),
        "megapixels_median": statistics.median(r["pixels"] for r in rows) / 1e6,
        "megapixels_max": max(r["pixels"] for r in rows) / 1e6,
        "seconds_median": statistics.median(seconds),
        "seconds_max": seconds[-1],
        "not_legible": [r["id"] for r in rows if not r["legible"]],
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "ask.json").write_text(json.dumps({"report": report, "rows": rows}, indent=2))
    print(f"{n} answerable questions on drawable pages (SAME_PAGES equivalences: {len(SAME_PAGES)})\n")
    print("| evidence | answer text >= 16 px |\n| --- | --- |")
    print(f"| aizoomdoc ask --offline (viewport + zoom crops) | {report['legible_share']:.0%} |")
    print(f"| 2000 px page preview (median text {report['median_preview_px']:.1f} px) | {report['preview_legible_share']:.0%} |")
    print(f"| four 55% quadrants at 2000 px (median text {report['median_quadrant_px']:.1f} px) | {report['quadrant_legible_share']:.0%} |")
    print(f"\npixels per question: median {report['megapixels_median']:.2f} MP, max {report['megapixels_max']:.2f} MP")
    print(f"search + render + store: median {report['seconds_median'] * 1000:.0f} ms, worst {report['seconds_max'] * 1000:.0f} ms")
    print(f"not legible: {' '.join(report['not_legible']) or 'none'}")


if __name__ == "__main__":
    main()
