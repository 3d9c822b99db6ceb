"""References between sheets on the corpus: per document, how many were found, resolved to a
detail's region, to a sheet (the detail not located, or a sheet reference), to a document, and left
unresolved by reason; and how long finding and resolving takes (median of 3). Then a sample of 20
found references, drawn with a fixed seed, against the verdicts a person gave each after reading
its page's text (``references_checked.jsonl``, keyed by document name and text): how many were
wrong (not a reference, or resolved to the wrong place).

    .venv/bin/python -m benchmarks.references_benchmark [--library DIR] [--sample]

``--sample`` prints the sample with each reference's block text, to check a new draw by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from aizoomdoc_core.references import Reference
from benchmarks.corpus_library import corpus_library

CHECKED = Path(__file__).with_name("references_checked.jsonl")
SAMPLE = 20
SEED = 14


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, help="keep the ingested corpus here and reuse it (SQLite)")
    parser.add_argument("--sample", action="store_true", help="print the sample's block texts, to check by hand")
    args = parser.parse_args()
    verdicts = {(v["document"], v["text"]): v for v in map(json.loads, CHECKED.read_text(encoding="utf-8").splitlines())}
    everything: list[tuple[str, Reference]] = []
    with corpus_library(postgres=False, data_dir=args.library) as (app, _):
        print("| document | found | to a detail's region | detail not located | to a sheet | to a document "
              "| unresolved (reasons) | time |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
        for document in sorted(app.list_documents(), key=lambda d: d.name):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                found = app.references(document.id).references
                times.append(time.perf_counter() - start)
            if not found:
                continue
            everything += [(document.name, r) for r in found]
            counts = Counter(r.status for r in found)
            reasons = Counter(_reason(r) for r in found if r.status == "unresolved")
            said = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "0"
            print(f"| {document.name} | {len(found)} | {counts['detail']} | {counts['detail not located']} | "
                  f"{counts['sheet']} | {counts['document']} | {said} | {statistics.median(times) * 1000:.0f} ms |")
        sample = random.Random(SEED).sample(everything, SAMPLE)
        wrong = unchecked = 0
        for name, reference in sample:
            verdict = verdicts.get((name, reference.text))
            if verdict is None:
                unchecked += 1
            elif not verdict["right"]:
                wrong += 1
            if args.sample:
                block = next(b for b in app.storage.db.page_blocks(
                    next(d.id for d in app.list_documents() if d.name == name), reference.page)
                    if b.block_key == reference.block_id)
                print(json.dumps({"document": name, "page": reference.page, "text": reference.text,
                                  "said": reference.described(), "block": block.text[:300]}, ensure_ascii=False))
        print(f"\nsample of {SAMPLE} (seed {SEED}): {wrong} wrong, {SAMPLE - wrong - unchecked} right, {unchecked} not checked")


def _reason(reference: Reference) -> str:
    """The reason without the sheet or number it names, to count alike reasons together."""
    reason = reference.reason or ""
    for prefix in ("no sheet numbered", "no sheet"):
        if reason.startswith(prefix):
            return f"{prefix} ... in this document"
    return reason


if __name__ == "__main__":
    main()
