"""Revision compare on revision pairs made from the corpus's drawing sets (``tests.revisions``: a
moved line, a changed value, an added note, a revision table's new row and a deleted detail on three
sheets, two sheets swapped,
every page re-exported with new margins), so the ground truth is known:

- changes found / made: a made change is found when a reported region of its sheet overlaps it
  (a value also needs its words reported as edited, old -> new, a revision row the row read whole);
- false regions per sheet: reported regions that overlap no made change;
- sheets matched by code (the swapped ones on their own pages), unchanged sheets reported unchanged;
- time: the whole set pair through ``Aizoomdoc.compare`` (isolated child included), and per sheet
  pair where it goes (words and alignment, drawing both pages, the ink comparison);
and in the same run the baseline: the same pairs compared as they lie, without the alignment.

    .venv/bin/python -m benchmarks.compare_benchmark
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import pymupdf

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.sheet_diff import _greys, _size, align, diff_pages, ink_cells, regions, words
from benchmarks.search_benchmark import CORPUS
from tests.revisions import Made, revision_pair

SETS = [  # (set, edited pages, swapped pages)
    (CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf", (3, 7, 10), (5, 6)),
    (CORPUS / "A" / "A02_virginia_farmhouse_set_brotli.pdf", (2, 9, 20), (4, 5)),
]
SLACK = 0.01  # of the page: how near a region must come to a made change to count as showing it


def overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] - SLACK < b[2] and b[0] - SLACK < a[2] and a[1] - SLACK < b[3] and b[1] - SLACK < a[3]


def score(reported: dict[int, list[list[float]]], edited: dict[int, list[tuple[str | None, str | None]]],
          rows: dict[int, list[str]], made: list[Made]) -> tuple[int, int]:
    """(changes found, false regions) for the regions reported per new page."""
    found = 0
    for change in made:
        shown = any(overlaps(r, change.bbox) for r in reported.get(change.page, []))
        if change.kind == "value":
            shown = shown and (change.old, change.new) in edited.get(change.page, [])
        if change.kind == "revision row":
            shown = shown and change.new in rows.get(change.page, [])
        found += shown
    false = sum(1 for page, boxes in reported.items() for r in boxes
                if not any(c.page == page and overlaps(r, c.bbox) for c in made))
    return found, false


def main() -> None:
    print("| set | sheets | changes found / made | false regions per sheet | sheets matched | unchanged sheets "
          "reported unchanged | compare, whole set | baseline (no alignment): unchanged sheets reported unchanged |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    split: dict[str, list[float]] = {"words and alignment": [], "drawing both pages": [], "ink comparison": []}
    for source, edited_pages, swap in SETS:
        with tempfile.TemporaryDirectory() as scratch:
            old_path, new_path, made = revision_pair(source, Path(scratch) / "pair", edited=edited_pages, swap=swap)
            app = Aizoomdoc.open(Settings.load(data_dir=Path(scratch) / "data", environ={"AIZOOMDOC_EMBEDDINGS": "off"},
                                               dotenv_path=None))
            old_id, new_id = (app.ingest(p).document_id for p in (old_path, new_path))
            assert old_id and new_id
            started = time.perf_counter()
            result = app.compare(old_id, new_id)
            seconds = time.perf_counter() - started
            app.close()
            reported = {s.new_page: s.regions for s in result.sheets if s.new_page}
            edits = {s.new_page: [(t.old, t.new) for t in s.texts if t.kind == "edited"] for s in result.sheets if s.new_page}
            rows = {s.new_page: [(r.new or "").replace(" | ", " ") for r in s.revisions] for s in result.sheets if s.new_page}
            found, false = score(reported, edits, rows, made)
            sheets = len(result.sheets)
            order = list(range(1, sheets + 1))
            order[swap[0] - 1], order[swap[1] - 1] = order[swap[1] - 1], order[swap[0] - 1]
            matched = sum(1 for s in result.sheets if s.new_page and s.old_page == order[s.new_page - 1])
            changed_pages = {order.index(p) + 1 for p in edited_pages}
            quiet = [s for s in result.sheets if s.new_page not in changed_pages]
            still = sum(1 for s in quiet if s.status == "unchanged")
            old_doc, new_doc = pymupdf.open(old_path), pymupdf.open(new_path)
            plain_regions: dict[int, list[list[float]]] = {}
            for new_page in range(1, sheets + 1):
                old_page, page = old_doc[order[new_page - 1] - 1], new_doc[new_page - 1]
                plain = diff_pages(old_page, page, aligned=False)
                plain_regions[new_page] = plain.regions
                t0 = time.perf_counter()
                mapping = align(words(old_page), words(page), _size(old_page), _size(page))
                t1 = time.perf_counter()
                _greys(old_page, page, mapping)
                t2 = time.perf_counter()
                cells, scale = ink_cells(old_page, page, mapping)
                regions(cells, scale)
                t3 = time.perf_counter()
                split["words and alignment"].append(t1 - t0)
                split["drawing both pages"].append(t2 - t1)
                split["ink comparison"].append(t3 - t2 - (t2 - t1))  # ink_cells draws the pages again
            plain_still = sum(1 for page in range(1, sheets + 1) if page not in changed_pages and not plain_regions[page])
            print(f"| {source.name} | {sheets} | {found} / {len(made)} | {false / sheets:.2f} | {matched} / {sheets} | "
                  f"{still} / {len(quiet)} | {seconds:.1f} s | {plain_still} / {len(quiet)} |")
    print()
    print("per sheet pair, median: " + ", ".join(f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in split.items()))


if __name__ == "__main__":
    main()
