"""A separate process that writes chat history, for crash and concurrency tests.

    python tests/support/history_writer.py --backend sqlite --target DATA_DIR \\
        --folder WORKSPACE --tag A --turns 300 [--session ID] [--stream N] [--wait-go]

It prints one line per committed step, flushed, so a test can act at a known point:
``ready <session id>``, ``turn <i>`` (user + assistant committed), ``partial <message
id>``, ``update <k>`` (the streaming message now holds ``streamed_text(k)``) and
``done``. With ``--wait-go`` it waits for a line on stdin after ``ready``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tandem.core.history.store import HistoryStore


def user_text(tag: str, turn: int) -> str:
    return f"{tag} turn {turn} question"


def assistant_text(tag: str, turn: int) -> str:
    return f"{tag} turn {turn} answer"


def streamed_text(updates: int) -> str:
    """The streaming message's content after ``updates`` updates."""
    return "".join(f"word{k} " for k in range(updates))


def open_target(backend: str, target: str, prefix: str) -> HistoryStore:
    if backend == "redis":
        from tandem.core.history.redis_store import RedisStore

        return RedisStore(target, prefix=prefix)
    from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore

    return SqliteStore(Path(target) / FILE_NAME)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def write_turns(store: HistoryStore, session_id: str, tag: str, turns: int) -> None:
    for turn in range(turns):
        store.append_message(session_id, "user", user_text(tag, turn), turn_id=f"{tag}{turn}")
        store.append_message(
            session_id, "assistant", assistant_text(tag, turn), model="m", turn_id=f"{tag}{turn}"
        )
        say(f"turn {turn}")


def stream(store: HistoryStore, session_id: str, updates: int) -> None:
    reply = store.append_message(session_id, "assistant", "", "partial", model="m")
    say(f"partial {reply.id}")
    for k in range(1, updates + 1):
        store.update_message(reply.id, content=streamed_text(k))
        say(f"update {k}")
    store.update_message(reply.id, status="complete")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "redis"], required=True)
    parser.add_argument("--target", required=True, help="data dir (sqlite) or URL (redis)")
    parser.add_argument("--prefix", default="tandem:")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--session")
    parser.add_argument("--tag", default="A")
    parser.add_argument("--turns", type=int, default=0)
    parser.add_argument("--stream", type=int, default=0, help="updates of a streamed reply")
    parser.add_argument("--wait-go", action="store_true")
    args = parser.parse_args(argv)
    store = open_target(args.backend, args.target, args.prefix)
    workspace = store.ensure_workspace(args.folder)
    session_id = args.session or store.create_session(workspace.id, args.tag).id
    say(f"ready {session_id}")
    if args.wait_go:
        sys.stdin.readline()
    write_turns(store, session_id, args.tag, args.turns)
    if args.stream:
        stream(store, session_id, args.stream)
    store.close()
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
