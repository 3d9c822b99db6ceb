"""Search by meaning: what making the vectors costs, and what hybrid search costs a question at 1x,
10x and 100x the corpus, against lexical search in the same run.

    .venv/bin/python -m benchmarks.dense_benchmark [--postgres] [--copies 10,100] [--library DIR]

1. Embedding: the first ``--sample`` blocks worth embedding of the corpus, through the indexer's
   embedder in batches of 32: blocks per second, milliseconds a block, and the process's peak memory
   (RSS) before and after; the time for the 100x corpus is extrapolated from it.
2. Query time: every question of ``questions.jsonl`` and ``chat_questions.jsonl`` (both splits: speed
   is not tuned), searched top 12 as the agent does, lexical alone and hybrid, and the question's
   embedding alone; on the corpus, then on it copied N times inside the database (blocks, their
   vectors and indexes: ``corpus_copies``). On SQLite the first search after a copy also reads the
   new vectors into memory: that time is reported apart (a fresh process pays it once).
``--library DIR`` reuses a library that ``chat_benchmark --library DIR`` made (SQLite).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.dense.embedder import LocalEmbedder
from aizoomdoc_core.dense.indexer import BATCH, worth_embedding
from benchmarks.chat_benchmark import CHAT_QUESTIONS
from benchmarks.corpus_copies import copy_corpus
from benchmarks.corpus_library import corpus_library
from benchmarks.search_benchmark import QUESTIONS, all_blocks


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def embedding_cost(app: Aizoomdoc, sample: int) -> dict[str, Any]:
    texts = [text for _, _, text in all_blocks(app) if worth_embedding(text)]
    share = len(texts) / max(1, len(all_blocks(app)))
    texts = texts[:sample]
    embedder = LocalEmbedder()
    before = peak_mb()
    embedder.passages(texts[:1])  # loads the model
    loaded = peak_mb()
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        embedder.passages(texts[start : start + BATCH])
    seconds = time.perf_counter() - started
    return {"blocks": len(texts), "seconds": seconds, "ms_per_block": 1000 * seconds / len(texts),
            "blocks_per_s": len(texts) / seconds, "peak_mb_before": before, "peak_mb_model": loaded,
            "peak_mb_after": peak_mb(), "wordy_share": share}


def questions() -> list[str]:
    rows = [json.loads(line) for path in (QUESTIONS, CHAT_QUESTIONS)
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows]


def timed(call: Any, texts: list[str]) -> dict[str, float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return {"median_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))]}


def query_costs(app: Aizoomdoc, texts: list[str]) -> dict[str, Any]:
    library = app.library
    assert library.hybrid is not None
    started = time.perf_counter()
    library.search(texts[0], top=12)  # on SQLite: reads new vectors into memory
    first = 1000 * (time.perf_counter() - started)
    embedder = LocalEmbedder()
    return {
        "blocks": app.db.block_statistics()[0], "first_search_ms": first,
        "lexical": timed(lambda t: library.search(t, top=12, meaning=False), texts),
        "hybrid": timed(lambda t: library.search(t, top=12), texts),
        "embed_question": timed(embedder.query, texts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway local PostgreSQL cluster")
    parser.add_argument("--copies", default="10,100", help="sizes to measure, as copies of the corpus")
    parser.add_argument("--sample", type=int, default=2000, help="blocks embedded for the throughput")
    parser.add_argument("--library", type=Path, help="an indexed SQLite library to start from (copied first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        if args.library and not args.postgres:
            shutil.copytree(args.library, data)  # copied: the copies below would grow it
        with corpus_library(postgres=args.postgres, data_dir=None if args.postgres else data) as (app, indexed):
            report: dict[str, Any] = {"backend": app.db.kind, "indexed_now": indexed.blocks, "index_s": indexed.seconds,
                                      "embedding": embedding_cost(app, args.sample), "sizes": {}}
            texts = questions()
            report["sizes"]["1"] = query_costs(app, texts)
            made = 1
            for copies in sorted(int(c) for c in args.copies.split(",")):
                copy_corpus(getattr(app.db, "cloud", app.db), copies // made)  # all so far, again
                made = copies
                report["sizes"][str(copies)] = query_costs(app, texts)
    print_report(report)


def print_report(report: dict[str, Any]) -> None:
    e = report["embedding"]
    print(f"backend: {report['backend']}\n")
    print(f"embedding: {e['blocks']} blocks in {e['seconds']:.1f} s: {e['ms_per_block']:.1f} ms a block, "
          f"{e['blocks_per_s']:.0f} blocks/s; peak memory {e['peak_mb_before']:.0f} MB before the model, "
          f"{e['peak_mb_model']:.0f} MB with it, {e['peak_mb_after']:.0f} MB after; "
          f"{e['wordy_share']:.0%} of blocks are worth embedding")
    for size, costs in report["sizes"].items():
        if size == "100":
            wordy = costs["blocks"] * e["wordy_share"]
            print(f"the 100x corpus's {costs['blocks']} blocks ({wordy:.0f} to embed) would take "
                  f"{wordy * e['ms_per_block'] / 3.6e6:.1f} h at this rate on this machine")
    print("\n| corpus | blocks | lexical median / p95 | hybrid median / p95 | question's embedding median | first search |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for size, c in report["sizes"].items():
        print(f"| {size}x | {c['blocks']} | {c['lexical']['median_ms']:.0f} / {c['lexical']['p95_ms']:.0f} ms | "
              f"{c['hybrid']['median_ms']:.0f} / {c['hybrid']['p95_ms']:.0f} ms | "
              f"{c['embed_question']['median_ms']:.0f} ms | {c['first_search_ms']:.0f} ms |")


if __name__ == "__main__":
    main()
