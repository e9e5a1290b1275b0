"""History store speed: append latency, streaming updates, reload and search, per backend.

A turn is what a chat turn costs the store: the user's message, the assistant's
message appended as ``partial``, ``--updates`` saves of its growing text, and the
final update to ``complete``. Each of those is its own committed write.

* append: latency of each turn (p50/p95), and of the single writes inside it;
* reload: ``messages(session)`` on a session of ``--reload-turns`` turns (median of 5);
* search: one word found in every turn of that session (median of 5).

SQLite runs in a temp dir; Redis on a redis-server this script starts and stops (the
same helper the tests use), or is skipped with a note when there is no binary.

    python bench/history_bench.py [--quick] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.report import percentile  # noqa: E402
from tests.support.redis_server import RedisServer, find_redis_server  # noqa: E402

from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore  # noqa: E402
from tandem.core.history.store import HistoryStore  # noqa: E402

ANSWER_WORDS = 400


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def timed(samples: list[float], call: Callable[[], object]) -> object:
    start = time.perf_counter()
    result = call()
    samples.append(time.perf_counter() - start)
    return result


def run_turn(store: HistoryStore, session_id: str, n: int, updates: int, laps: dict) -> None:
    words = [f"token{n}x{k}" for k in range(ANSWER_WORDS)]
    timed(laps["append"], lambda: store.append_message(session_id, "user", f"question {n}"))
    reply = timed(
        laps["append"],
        lambda: store.append_message(session_id, "assistant", "", "partial", model="bench"),
    )
    for step in range(1, updates + 1):
        text = " ".join(words[: ANSWER_WORDS * step // updates])
        timed(laps["update"], lambda text=text: store.update_message(reply.id, content=text))
    timed(laps["update"], lambda: store.update_message(reply.id, status="complete"))


def measure(store: HistoryStore, folder: Path, args: argparse.Namespace) -> dict[str, float]:
    workspace = store.ensure_workspace(folder)
    laps: dict[str, list[float]] = {"turn": [], "append": [], "update": []}
    session = store.create_session(workspace.id, "append")
    for n in range(args.turns):
        timed(laps["turn"], lambda n=n: run_turn(store, session.id, n, args.updates, laps))
    big = store.create_session(workspace.id, "reload")
    for n in range(args.reload_turns):
        store.append_message(big.id, "user", f"question {n} about the parser")
        store.append_message(big.id, "assistant", " ".join(["answer"] * ANSWER_WORDS))
    reload, search = [], []
    for _ in range(5):
        count = len(timed(reload, lambda: store.messages(big.id)))
        timed(search, lambda: store.search(workspace.id, "parser", limit=50))
    assert count == 2 * args.reload_turns
    return {
        "turn_p50_ms": ms(percentile(laps["turn"], 0.5)),
        "turn_p95_ms": ms(percentile(laps["turn"], 0.95)),
        "append_p50_ms": ms(percentile(laps["append"], 0.5)),
        "append_p95_ms": ms(percentile(laps["append"], 0.95)),
        "update_p50_ms": ms(percentile(laps["update"], 0.5)),
        "update_p95_ms": ms(percentile(laps["update"], 0.95)),
        "reload_ms": ms(statistics.median(reload)),
        "search_ms": ms(statistics.median(search)),
    }


@contextmanager
def sqlite_store(work: Path) -> Iterator[HistoryStore]:
    store = SqliteStore(work / FILE_NAME)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def redis_store() -> Iterator[HistoryStore]:
    from tandem.core.history.redis_store import RedisStore

    with RedisServer() as server:
        store = RedisStore(server.url)
        try:
            yield store
        finally:
            store.close()


def table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> str:
    columns = list(next(iter(results.values())))
    lines = [
        f"History store: {args.turns} turns of 2 appends + {args.updates + 1} updates; "
        f"reload/search on {args.reload_turns} turns.",
        "",
        "| backend | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for backend, row in results.items():
        lines.append(f"| {backend} | " + " | ".join(str(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a CI smoke run (seconds)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--updates", type=int, default=20, help="text saves per reply")
    parser.add_argument("--reload-turns", type=int, default=1000)
    args = parser.parse_args()
    if args.quick:
        args.turns, args.updates, args.reload_turns = 30, 5, 100
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tandem-history-bench-") as tmp:
        work = Path(tmp)
        with sqlite_store(work) as store:
            results["sqlite"] = measure(store, work, args)
        if find_redis_server():
            with redis_store() as store:
                results["redis"] = measure(store, work, args)
        else:
            print("note: redis-server not found; Redis skipped", file=sys.stderr)
    print(table(results, args))
    if args.json:
        args.json.write_text(
            json.dumps({"settings": vars(args) | {"json": None}, "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
