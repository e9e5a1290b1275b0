"""Two processes appending at once lose nothing and never share a seq (both backends)."""

from __future__ import annotations

from tests.support.history_writer import assistant_text, user_text

TURNS = 300
TAGS = ("A", "B")


def run_writers(target, folder, session_id=None) -> list[str]:
    """Start one writer per tag, release them together, wait; returns their sessions."""
    extra = ["--session", session_id] if session_id else []
    writers = [
        target.writer(
            "--folder", str(folder), "--tag", tag, "--turns", str(TURNS), "--wait-go", *extra
        )
        for tag in TAGS
    ]
    sessions = [_session_of(writer) for writer in writers]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    return sessions


def _session_of(writer) -> str:
    """The session a writer announces on its first line (or its error output)."""
    line = writer.stdout.readline().split()
    if len(line) < 2:
        _, errors = writer.communicate(timeout=30)
        raise AssertionError(f"writer failed before starting: {errors}")
    return line[1]


def turns_of(messages, tag: str) -> list[int]:
    """The turn numbers a writer's messages carry, in stored order."""
    return [int(m.content.split()[2]) for m in messages if m.content.startswith(tag + " ")]


def check_writer(messages, tag: str) -> None:
    own = [m for m in messages if m.content.startswith(tag + " ")]
    expected = [text(tag, turn) for turn in range(TURNS) for text in (user_text, assistant_text)]
    assert [m.content for m in own] == expected
    assert [m.role for m in own] == ["user", "assistant"] * TURNS


def test_writers_in_their_own_sessions(history_target, tmp_path):
    sessions = run_writers(history_target, tmp_path)

    store = history_target.open()
    try:
        for tag, session_id in zip(TAGS, sessions, strict=True):
            messages = store.messages(session_id)
            assert [m.seq for m in messages] == list(range(1, 2 * TURNS + 1))
            check_writer(messages, tag)
        workspace = store.get_session(sessions[0]).workspace_id
        assert len(store.list_sessions(workspace)) == 2
    finally:
        store.close()


def test_writers_in_one_shared_session(history_target, tmp_path):
    store = history_target.open()
    session = store.create_session(store.ensure_workspace(tmp_path).id, "shared")

    run_writers(history_target, tmp_path, session.id)

    try:
        messages = store.messages(session.id)
    finally:
        store.close()
    assert [m.seq for m in messages] == list(range(1, 2 * len(TAGS) * TURNS + 1))
    assert len({m.id for m in messages}) == len(messages)
    for tag in TAGS:
        check_writer(messages, tag)
    # The writers are released together; whether their appends interleave is up to
    # the scheduler and SQLite's busy handler, so it is not asserted.
