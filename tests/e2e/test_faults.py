"""Faults the user must hear about, that the server survives, and that lose nothing.

Each test injects a real fault into a running server (a full tmpfs, a read-only
mount, another process's lock, Redis dropped or killed, the inotify watch limit, git
missing from PATH) and checks over LSP what the user sees, that the server keeps
answering, and that the history afterwards holds every message once.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pygls.exceptions import JsonRpcException

from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore
from tests.support import figures
from tests.support.disk import fill_disk, read_only, tmpfs
from tests.support.gitrepo import make_repo
from tests.support.lsp import Session, start_tandem
from tests.support.model_stub import SlowStream
from tests.support.redis_aof import aof_redis_server
from tests.support.redis_server import RedisServer
from tests.support.sqlite_lock import hold_lock, release

APP = "def main():\n    return 1\n"
FULL = "cannot save chat history: disk full"


def settings_for(stub: Any, **extra: Any) -> dict[str, Any]:
    return {"model": {"baseUrl": stub.url, "name": "test-model", "maxRetries": 0}, **extra}


async def indexed(s: Session) -> None:
    await s.wait_state(lambda st: st["folders"] and st["folders"][0].get("index") == "ready")


@pytest.fixture(autouse=True)
def tally(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Figures for docs/reliability.md: each fault, the turns sent through it, and the
    messages the last transcript held (two a turn: nothing lost, nothing doubled)."""
    counts = {"turns": 0, "found": 0}
    command = Session.command

    async def counted(self: Session, name: str, *args: Any, **kwargs: Any) -> Any:
        result = await command(self, name, *args, **kwargs)
        if name == "tandem.chat":
            counts["turns"] += 1
        elif name == "tandem.getTranscript":
            counts["found"] = len(result["messages"])
        return result

    monkeypatch.setattr(Session, "command", counted)
    yield
    fault = request.node.name.removeprefix("test_").replace("_", " ")
    figures.add("Faults injected", **{fault: 1})
    figures.add(
        "Faults: chat turns through them",
        turns_sent=counts["turns"],
        messages_in_final_transcripts=counts["found"],
    )


async def transcript(s: Session) -> list[tuple[str, str, str]]:
    messages = (await s.command("tandem.getTranscript"))["messages"]
    return [(m["role"], m["status"], m["content"]) for m in messages]


def shown(s: Session) -> list[str]:
    return [m.message for m in s.client.messages]


def server_log(s: Session) -> str:
    return (s.data_dir / "server.log").read_text()


# -- a full disk --------------------------------------------------------------------


@pytest.fixture
def small_data_dir(tmp_path: Path):
    """The server's data dir on an 8 MB tmpfs (room for the token vocabulary)."""
    with tmpfs(tmp_path / "data", "8m") as mounted:
        yield mounted


async def test_a_full_disk_ends_the_turn_with_a_message_and_loses_nothing(
    tmp_path, model_stub, small_data_dir
):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    env = {"TANDEM_DATA_DIR": str(small_data_dir)}  # the log stays off the small disk
    async with start_tandem(
        [repo], tmp_path / "logs", settings=settings_for(model_stub), env=env
    ) as s:
        await indexed(s)
        first = await s.command("tandem.chat", {"prompt": "one"})
        assert first["status"] == "complete"
        filler = fill_disk(small_data_dir)
        asked = len(model_stub.chat_requests())

        refused = await s.command("tandem.chat", {"prompt": "two"})
        assert refused["status"] == "error" and FULL in refused["error"]
        assert len(model_stub.chat_requests()) == asked  # a question not stored is not sent
        assert any(FULL in m for m in shown(s))
        (repo / "b.py").write_text("b = 2\n")  # the workspace is still followed
        await s.wait_state(lambda st: st["trackedFiles"] == 2)
        before = await transcript(s)
        assert before == [("user", "complete", "one"), ("assistant", "complete", first["text"])]

        filler.unlink()
        third = await s.command("tandem.chat", {"prompt": "three"})
        assert third["status"] == "complete" and third["sessionId"] == first["sessionId"]
        after = await transcript(s)
        assert after == [
            *before,
            ("user", "complete", "three"),
            ("assistant", "complete", third["text"]),
        ]


async def test_a_disk_full_mid_answer_keeps_the_answer_for_later(
    tmp_path, model_stub, small_data_dir
):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    env = {"TANDEM_DATA_DIR": str(small_data_dir)}
    async with start_tandem(
        [repo], tmp_path / "logs", settings=settings_for(model_stub), env=env
    ) as s:
        await indexed(s)
        chunks = [f"part{i} " for i in range(20)]
        model_stub.script(SlowStream(chunks, delay=0.05))
        turn = asyncio.ensure_future(s.command("tandem.chat", {"prompt": "long answer"}))
        await s.wait_for_notification("tandem/chatDelta")
        filler = fill_disk(small_data_dir)

        result = await turn
        assert result["status"] == "error" and FULL in result["error"]
        assert result["text"] == "".join(chunks)  # the user saw all of it
        assert any(FULL in m for m in shown(s))

        filler.unlink()
        assert (await s.command("tandem.chat", {"prompt": "next"}))["status"] == "complete"
        messages = await transcript(s)
        assert messages[:3] == [
            ("user", "complete", "long answer"),
            ("assistant", "complete", "".join(chunks)),  # saved once space came back
            ("user", "complete", "next"),
        ]
        assert len(messages) == 4


# -- a read-only data dir -----------------------------------------------------------


def stored_history(data: Path, repo: Path) -> list[tuple[str, str, str]]:
    """A history written before the server starts: one turn in the folder's session."""
    store = SqliteStore(data / FILE_NAME)
    try:
        session = store.create_session(store.ensure_workspace(repo).id, "earlier")
        store.set_active_session(session.workspace_id, session.id)
        store.append_message(session.id, "user", "one")
        store.append_message(session.id, "assistant", "Echo: one")
        return [(m.role, m.status, m.content) for m in store.messages(session.id)]
    finally:
        store.close()


@pytest.mark.parametrize("how", ["permissions", "mount"])
async def test_a_read_only_data_dir_is_named_and_the_workspace_still_works(
    tmp_path, model_stub, how
):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    data = tmp_path / "data"
    data.mkdir()
    stored = stored_history(data, repo)
    env = {"TANDEM_DATA_DIR": str(data)}
    settings = settings_for(model_stub)
    async with start_tandem([repo], tmp_path / "logs", settings=settings, env=env) as s:
        with _read_only(data, how):
            await s.wait_state(lambda st: st["trackedFiles"] == 1)
            for command, args in (
                ("tandem.chat", {"prompt": "two"}),
                ("tandem.getTranscript", None),
            ):
                with pytest.raises(JsonRpcException, match="read-only") as raised:
                    await s.command(command, args)
                assert str(data / FILE_NAME) in str(raised.value)
            view = await s.command("tandem.fileView", {"uri": (repo / "app.py").as_uri()})
            assert view["text"] == APP

        assert await transcript(s) == stored  # writable again: nothing was touched
        third = await s.command("tandem.chat", {"prompt": "three"})
        assert third["status"] == "complete"
        assert await transcript(s) == [
            *stored,
            ("user", "complete", "three"),
            ("assistant", "complete", third["text"]),
        ]


def _read_only(data: Path, how: str):
    if how == "mount":
        return read_only(data)
    return _chmod_read_only(data)


class _chmod_read_only:
    """Permission bits only: root may still write, so Tandem must judge by the bits."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Path:
        self.folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return self.folder

    def __exit__(self, *exc: object) -> None:
        self.folder.chmod(stat.S_IRWXU)


async def test_a_read_only_data_dir_still_watches_the_folder(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    data = tmp_path / "data"
    data.mkdir()
    env = {"TANDEM_DATA_DIR": str(data)}
    with read_only(data):
        async with start_tandem([repo], tmp_path / "logs", env=env) as s:
            await s.wait_state(lambda st: st["trackedFiles"] == 1)
            (repo / "b.py").write_text("b = 2\n")
            state = await s.wait_state(lambda st: st["trackedFiles"] == 2, timeout=3)
            assert state["folders"][0]["isGitRepo"] is True
            assert state["folders"][0]["index"] == "unavailable"
            assert any("cannot keep the search index" in m for m in shown(s))


# -- another process holds the lock -------------------------------------------------


async def test_history_locked_by_another_process_is_named_then_works(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    data = tmp_path / "data"
    async with start_tandem([repo], data, settings=settings_for(model_stub)) as s:
        first = await s.command("tandem.chat", {"prompt": "one"})
        locker = hold_lock(data / "history.sqlite3", "read")
        try:  # held past the 5 s busy timeout
            refused = await s.command("tandem.chat", {"prompt": "two"})
            assert refused["status"] == "error"
            assert refused["error"].startswith("history is locked by another process")
            assert any("history is locked by another process" in m for m in shown(s))
            assert len(await transcript(s)) == 2  # reading goes on meanwhile
        finally:
            release(locker)
        third = await s.command("tandem.chat", {"prompt": "three"})
        assert third["status"] == "complete"
        assert [m[2] for m in await transcript(s)] == ["one", first["text"], "three", third["text"]]


async def test_a_record_of_what_was_sent_that_fails_warns_and_keeps_the_answer(
    tmp_path, model_stub
):
    """The record (snapshots, request) is written while the model answers; when the
    store refuses it, the answer still completes and the user is told."""
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    data = tmp_path / "data"
    async with start_tandem([repo], data, settings=settings_for(model_stub)) as s:
        first = await s.command("tandem.chat", {"prompt": "one"})
        db = sqlite3.connect(data / FILE_NAME)
        refuse = "SELECT RAISE(ABORT, 'records refused for a test')"
        db.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON contexts BEGIN {refuse}; END")
        db.commit()
        try:
            second = await s.command("tandem.chat", {"prompt": "two"})
            assert second["status"] == "complete" and second["text"]
            assert any("could not be recorded" in m for m in shown(s))
        finally:
            db.execute("DROP TRIGGER refuse")
            db.commit()
            db.close()
        third = await s.command("tandem.chat", {"prompt": "three"})
        assert third["status"] == "complete"
        assert await transcript(s) == [
            ("user", "complete", "one"),
            ("assistant", "complete", first["text"]),
            ("user", "complete", "two"),
            ("assistant", "complete", second["text"]),
            ("user", "complete", "three"),
            ("assistant", "complete", third["text"]),
        ]


# -- Redis dropped or restarted -----------------------------------------------------


@pytest.fixture
def redis_server_aof(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own that keeps its data (AOF) across a restart."""
    server = aof_redis_server(tmp_path / "redis-aof")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def redis_settings(stub: Any, url: str) -> dict[str, Any]:
    return settings_for(stub, history={"backend": "redis", "redisUrl": url})


async def turns_once_each(s: Session, turn_ids: list[str]) -> None:
    """Every turn stored exactly once: a user message and its answer, seq 1..n."""
    messages = (await s.command("tandem.getTranscript"))["messages"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    counts = Counter((m["turnId"], m["role"]) for m in messages)
    expected = Counter({(t, role): 1 for t in turn_ids for role in ("user", "assistant")})
    assert counts == expected
    assert all(m["status"] == "complete" for m in messages)


@pytest.mark.redis
async def test_a_dropped_redis_connection_is_reopened_without_loss(
    tmp_path, model_stub, redis_server_private
):
    url = redis_server_private.url
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem(
        [folder], tmp_path / "data", settings=redis_settings(model_stub, url)
    ) as s:
        turns = [(await s.command("tandem.chat", {"prompt": "one"}))["turnId"]]
        admin = redis.Redis.from_url(url)
        try:
            assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
        finally:
            admin.close()
        second = await s.command("tandem.chat", {"prompt": "two"})
        assert second["status"] == "complete"
        turns.append(second["turnId"])
        await turns_once_each(s, turns)
        assert "Traceback" not in server_log(s)


@pytest.mark.redis
async def test_redis_killed_and_restarted_with_its_data_loses_nothing(
    tmp_path, model_stub, redis_server_aof
):
    url = redis_server_aof.url
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem(
        [folder], tmp_path / "data", settings=redis_settings(model_stub, url)
    ) as s:
        turns = [(await s.command("tandem.chat", {"prompt": "one"}))["turnId"]]
        redis_server_aof.stop()  # SIGKILL

        with pytest.raises(JsonRpcException, match=f"cannot reach Redis at {url}"):
            await s.command("tandem.chat", {"prompt": "while down"})
        assert (await s.state())["folders"]  # the workspace still answers

        redis_server_aof.start()  # same port, same AOF
        third = await s.command("tandem.chat", {"prompt": "three"})
        assert third["status"] == "complete"
        turns.append(third["turnId"])
        await turns_once_each(s, turns)


# -- the inotify watch limit ---------------------------------------------------------

LIMITED_PYTHON = """#!/bin/sh
exec unshare --user --map-root-user /bin/sh -c \
  'echo {limit} > /proc/sys/user/max_inotify_watches && exec "$0" "$@"' {python} "$@"
"""


async def test_the_watch_limit_falls_back_to_polling_and_says_so(tmp_path, monkeypatch):
    """The server runs in a user namespace of its own with a limit of 10 watches (the
    machine's limit is never touched); the folder needs more than that."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed")
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces here: {probe.stderr.decode().strip()}")
    files = {f"src/d{i}/m.py": "x = 1\n" for i in range(30)}
    repo = make_repo(tmp_path / "repo", files)
    launcher = tmp_path / "python-limited"
    launcher.write_text(LIMITED_PYTHON.format(limit=10, python=sys.executable))
    launcher.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(launcher))  # what start_tandem launches
    async with start_tandem([repo], tmp_path / "data") as s:
        monkeypatch.undo()
        state = await s.wait_state(lambda st: st["folders"] and st["folders"][0].get("watcher"))
        reason = state["folders"][0]["watcher"]
        assert "inotify watch limit was reached" in reason and "polling" in reason

        (repo / "src" / "d7" / "new.py").write_text("y = 2\n")
        (repo / "src" / "d3" / "m.py").write_text("x = 3\n")
        await s.wait_state(
            lambda st: (
                st["trackedFiles"] == 31
                and {"path": "src/d3/m.py", "status": "modified"}
                in st["folders"][0]["changedFiles"]
            )
        )
    assert "Traceback" not in server_log(s)


# -- git missing ----------------------------------------------------------------------


async def test_git_missing_from_path_is_reported_and_the_rest_works(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    empty = tmp_path / "bin-without-git"
    empty.mkdir()
    env = {"PATH": str(empty)}
    async with start_tandem(
        [repo], tmp_path / "data", settings=settings_for(model_stub), env=env
    ) as s:
        await indexed(s)
        state = await s.wait_state(lambda st: "gitError" in st["folders"][0])
        folder = state["folders"][0]
        assert folder["gitError"].startswith("git was not found on PATH")
        assert folder["isGitRepo"] is False and folder["branch"] is None

        (repo / "b.py").write_text("b = 2\n")
        await s.wait_state(lambda st: st["trackedFiles"] == 2)
        view = await s.command("tandem.fileView", {"uri": (repo / "app.py").as_uri()})
        assert view["text"] == APP
        doc = s.open(repo / "app.py")
        result = await s.command("tandem.chat", {"prompt": "hello", "uri": doc})
        assert result["status"] == "complete"
        assert [m[0] for m in await transcript(s)] == ["user", "assistant"]
    log = server_log(s)
    assert "Traceback" not in log
    warnings = [line for line in log.splitlines() if "WARNING" in line and "git" in line]
    assert len(warnings) == 1 and "git was not found on PATH" in warnings[0]  # not per refresh
