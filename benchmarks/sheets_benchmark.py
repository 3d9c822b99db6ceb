"""The sheet index, checked, on the corpus: for each multi-page document, where its drawing list is,
how many of its rows have each status, and how long the check takes (median of 5), against reading
the same document's blocks alone (the baseline: what the check costs beyond the store).

    .venv/bin/python -m benchmarks.sheets_benchmark [--library DIR] [--postgres]

The check runs when asked (the Documents page, ``sheets``, a question about the set), not at ingest,
so ingest time is unchanged by it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from aizoomdoc_core.sheet_index import STATUSES
from benchmarks.corpus_library import corpus_library


def median_ms(work: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, help="keep the ingested corpus here and reuse it (SQLite)")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway local PostgreSQL cluster")
    args = parser.parse_args()
    with corpus_library(postgres=args.postgres, data_dir=args.library) as (app, _):
        db = app.storage.db
        print("| document | pages | list on page | " + " | ".join(STATUSES) + " | check | blocks read alone |")
        print("| --- | ---: | --- | " + " | ".join("---:" for _ in STATUSES) + " | ---: | ---: |")
        for document in sorted(app.list_documents(), key=lambda d: d.name):
            if document.page_count < 2:
                continue
            checked = app.sheet_check(document.id)
            counts = checked.counts()
            check = median_ms(lambda: app.sheet_check(document.id))
            alone = median_ms(lambda: [db.page_blocks(document.id, p.number) for p in db.document_pages(document.id)])
            where = ", ".join(map(str, checked.index_pages)) or "-"
            print(f"| {document.name} | {document.page_count} | {where} | "
                  + " | ".join(str(counts.get(s, 0)) for s in STATUSES) + f" | {check:.0f} ms | {alone:.0f} ms |")


if __name__ == "__main__":
    main()
