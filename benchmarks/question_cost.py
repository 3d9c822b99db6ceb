"""Database round trips and time of one question (search + render + store, no model), per backend.

    .venv/bin/python -m benchmarks.question_cost [--questions 20]

Ingests the corpus's C drawings, then asks offline the first questions of the question set whose
expected document is among them, each in a new chat, then once more as a follow-up in the same
chat. It counts what the question sends to every database engine the app opened (statements,
commits and rollbacks: each is a round trip), per dialect, on the embedded SQLite default and on a
throwaway PostgreSQL cluster (through its fallback layer, as the app runs it: its ``sqlite`` trips are
the local spool and mirror, its ``postgresql`` trips go to the server). Only the public facade
is used, so the same script measures any version of the code.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from typing import Any

import sqlalchemy as sa

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.events import AnswerDone
from benchmarks.search_benchmark import CORPUS, QUESTIONS

_trips: Counter[str] = Counter()


def _count(kind: str) -> Any:
    def listener(conn: sa.engine.Connection, *args: Any) -> None:
        _trips[f"{conn.engine.dialect.name}.{kind}"] += 1
    return listener


for _event, _kind in (("before_cursor_execute", "statement"), ("commit", "commit"), ("rollback", "rollback")):
    sa.event.listen(sa.engine.Engine, _event, _count(_kind))


def ask(app: Aizoomdoc, question: str, chat_id: str | None) -> tuple[str, float, Counter[str]]:
    _trips.clear()
    started = time.perf_counter()
    done = [e for e in app.ask(question, chat_id=chat_id, offline=True) if isinstance(e, AnswerDone)][-1]
    return done.result.chat_id, time.perf_counter() - started, Counter(_trips)


def run(database_url: str | None, questions: list[dict[str, Any]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data:
        environ = {"DATABASE_URL": database_url} if database_url else {}
        app = Aizoomdoc.open(Settings.load(data_dir=data, environ=environ, dotenv_path=None))
        try:
            for path in sorted((CORPUS / "C").glob("*.pdf")):
                app.ingest(path)
            ask(app, "warm-up", None)
            first, follow = [], []
            for q in questions:
                chat_id, seconds, trips = ask(app, q["question"], None)
                first.append((seconds, trips))
                follow.append(ask(app, "и ещё?" if q.get("lang") == "ru" else "and what else?", chat_id)[1:])
        finally:
            app.close()

    def summary(runs: list[tuple[float, Counter[str]]]) -> dict[str, Any]:
        kinds = sorted({k for _, t in runs for k in t})
        dialects = sorted({k.split(".")[0] for k in kinds})

        def trips(t: Counter[str], dialect: str) -> int:
            return sum(n for k, n in t.items() if k.startswith(dialect + "."))

        return {
            "time_ms_median": round(statistics.median(s for s, _ in runs) * 1000, 1),
            "round_trips_median": {d: statistics.median(trips(t, d) for _, t in runs) for d in dialects},
            "round_trips_max": {d: max(trips(t, d) for _, t in runs) for d in dialects},
            "by_kind_median": {k: statistics.median(t[k] for _, t in runs) for k in kinds},
        }

    return {"new_chat": summary(first), "follow_up": summary(follow)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    names = {f"C/{p.name}" for p in (CORPUS / "C").glob("*.pdf")}
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [q for q in rows if q.get("document") in names][: args.questions]
    report = {"questions": len(questions), "sqlite": run(None, questions)}
    from tests.services import PostgresCluster

    cluster = PostgresCluster()
    cluster.start()
    try:
        report["postgresql"] = run(cluster.create_database(), questions)
    finally:
        cluster.destroy()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
