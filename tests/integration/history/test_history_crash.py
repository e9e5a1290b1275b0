"""A writer killed with SIGKILL at any point leaves every committed turn intact.

The writer (``tests/support/history_writer.py``) appends complete turns, then streams a
reply with many updates, announcing each commit. The test kills it right after a
chosen announcement (the kill lands wherever the writer has got to by then, often
inside a transaction), reopens the file and checks what survived.
"""

from __future__ import annotations

import os
import signal
import sqlite3

import pytest

from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore
from tests.support.history_stores import sqlite_target
from tests.support.history_writer import assistant_text, streamed_text, user_text

TURNS = 4
UPDATES = 5000
KILL_AFTER = ["turn 1", "partial", "update 1", "update 40", "update 400"]


def run_until(process, wanted: str) -> list[str]:
    """Read the writer's announcements up to ``wanted``, then kill it."""
    seen: list[str] = []
    while True:
        line = process.stdout.readline().strip()
        if not line:
            process.wait()
            pytest.fail(f"writer exited early: {process.stderr.read()}")
        seen.append(line)
        if line == wanted or line.startswith(wanted + " "):
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    for pipe in (process.stdin, process.stdout, process.stderr):
        pipe.close()
    assert process.returncode == -signal.SIGKILL
    return seen


def committed(seen: list[str], kind: str) -> int:
    """The highest number announced for ``kind`` ("turn" or "update"), or -1."""
    numbers = [int(line.split()[1]) for line in seen if line.startswith(kind + " ")]
    return max(numbers, default=-1)


@pytest.mark.parametrize("kill_after", KILL_AFTER)
def test_sigkill_keeps_committed_turns_and_leaves_the_stream_partial(tmp_path, kill_after):
    target = sqlite_target(tmp_path)
    writer = target.writer(
        "--folder", str(tmp_path), "--tag", "K", "--turns", str(TURNS), "--stream", str(UPDATES)
    )
    seen = run_until(writer, kill_after)
    session_id = seen[0].split()[1]

    store = SqliteStore(tmp_path / "data" / FILE_NAME)
    try:
        messages = store.messages(session_id)
        check_turns(messages, committed(seen, "turn"))
        check_stream(messages[2 * TURNS :], committed(seen, "update"), "partial" in seen)
        store.append_message(session_id, "user", "still writable")
    finally:
        store.close()
    check_integrity(tmp_path / "data" / FILE_NAME)


def check_turns(messages, last_announced: int) -> None:
    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))
    complete_turns = [m for m in messages if m.status == "complete"]
    assert len(complete_turns) >= 2 * (last_announced + 1)
    for turn in range(len(complete_turns) // 2):
        question, answer = complete_turns[2 * turn], complete_turns[2 * turn + 1]
        assert (question.role, question.content) == ("user", user_text("K", turn))
        assert (answer.role, answer.content) == ("assistant", assistant_text("K", turn))


def check_stream(rest, last_update: int, partial_announced: bool) -> None:
    """After the turns: nothing, or one partial reply holding some update's text."""
    assert len(rest) <= 1
    if not rest:
        assert not partial_announced
        return
    (reply,) = rest
    assert (reply.role, reply.status) == ("assistant", "partial")
    updates = len(reply.content.split())
    assert reply.content == streamed_text(updates)
    assert updates >= max(last_update, 0)


def check_integrity(path) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    finally:
        db.close()
