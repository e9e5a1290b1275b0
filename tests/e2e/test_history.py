"""History over LSP: sessions survive restarts and crashes; reset archives or deletes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3

import pytest
from pygls.exceptions import JsonRpcException

from tests.support.gitrepo import make_repo
from tests.support.lsp import start_tandem
from tests.support.model_stub import SlowStream


def settings_for(stub):
    return {"model": {"baseUrl": stub.url, "name": "test-model", "maxRetries": 0}}


async def test_transcript_and_active_session_survive_a_restart(tmp_path, model_stub, profile):
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    data = tmp_path / "data"
    async with start_tandem([repo], data, profile, settings=settings_for(model_stub)) as s:
        first = await s.command("tandem.chat", {"prompt": "remember the number 7"})
        other = await s.command("tandem.newSession", {"title": "second"})
        await s.command("tandem.switchSession", {"sessionId": first["sessionId"]})
        assert other["sessionId"] != first["sessionId"]
    async with start_tandem([repo], data, profile, settings=settings_for(model_stub)) as s:
        sessions = await s.command("tandem.listSessions")
        assert sessions["activeSessionId"] == first["sessionId"]
        assert {x["title"] for x in sessions["sessions"]} == {"remember the number 7", "second"}
        transcript = await s.command("tandem.getTranscript")
        assert [m["content"] for m in transcript["messages"]] == [
            "remember the number 7",
            first["text"],
        ]
        assert transcript["messages"][1]["manifest"] == first["manifest"]
        await s.command("tandem.chat", {"prompt": "which number?"})
        sent = [m["content"] for m in model_stub.last_body()["messages"]]
        assert any("remember the number 7" in m for m in sent)
        found = await s.command("tandem.searchHistory", {"query": "number"})
        assert len(found["hits"]) >= 2
        exported = await s.command("tandem.exportSession", {"format": "markdown"})
        assert "remember the number 7" in exported["content"]


async def test_reset_archives_then_delete_deletes(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        old = await s.command("tandem.chat", {"prompt": "old secret plan"})
        reset = await s.command("tandem.resetWorkspace", {})
        assert reset == {"mode": "archive", "sessions": 1}
        new = await s.command("tandem.chat", {"prompt": "fresh start"})
        assert new["sessionId"] != old["sessionId"]
        sent = "\n".join(m["content"] for m in model_stub.last_body()["messages"])
        assert "old secret plan" not in sent
        archived = await s.command("tandem.listSessions", {"includeArchived": True})
        assert {x["id"]: x["archived"] for x in archived["sessions"]}[old["sessionId"]] is True
        kept = await s.command("tandem.getTranscript", {"sessionId": old["sessionId"]})
        assert kept["messages"][0]["content"] == "old secret plan"
        deleted = await s.command("tandem.resetWorkspace", {"mode": "delete"})
        assert deleted["sessions"] == 2
        listing = await s.command("tandem.listSessions", {"includeArchived": True})
        assert listing["sessions"] == []
        with pytest.raises(JsonRpcException, match=r"not found|no session|unknown"):
            await s.command("tandem.getTranscript", {"sessionId": old["sessionId"]})


async def test_bad_history_arguments_leave_the_server_up(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        bad = [
            ("tandem.switchSession", {"sessionId": "nope"}),
            ("tandem.switchSession", {}),
            ("tandem.getTranscript", {"sessionId": 5}),
            ("tandem.resetWorkspace", {"mode": "shred"}),
            ("tandem.exportSession", {"format": "pdf"}),
            ("tandem.searchHistory", {"query": ""}),
            ("tandem.newSession", ["not", "an", "object"]),
        ]
        for name, args in bad:
            with pytest.raises(JsonRpcException):
                await s.command(name, args)
        assert (await s.command("tandem.chat", {"prompt": "still here"}))["status"] == "complete"


async def test_corrupt_database_is_a_clear_error_and_is_not_overwritten(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    junk = os.urandom(4096)
    (data / "history.sqlite3").write_bytes(junk)
    async with start_tandem([folder], data, settings=settings_for(model_stub)) as s:
        with pytest.raises(JsonRpcException, match=r"history\.sqlite3"):
            await s.command("tandem.chat", {"prompt": "hello"})
        state = await s.wait_state(lambda st: len(st["folders"]) == 1)
        assert state["folders"][0]["uri"].endswith("/w")  # the server is still up
    assert (data / "history.sqlite3").read_bytes() == junk


@pytest.mark.parametrize("after_deltas", [1, 5, 20])
async def test_sigkill_while_streaming_keeps_every_turn(tmp_path, model_stub, after_deltas):
    folder = tmp_path / "w"
    folder.mkdir()
    data = tmp_path / "data"
    async with start_tandem([folder], data, settings=settings_for(model_stub)) as s:
        done = await s.command("tandem.chat", {"prompt": "first question"})
        model_stub.script(SlowStream([f"word{i} " for i in range(400)], delay=0.02))
        pending, _ = await s.request_command("tandem.chat", {"prompt": "second question"})
        for _ in range(after_deltas):
            await s.wait_for_notification("tandem/chatDelta")
        await asyncio.sleep(0.3)  # let a save of the partial text land
        os.kill(s.client._server.pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        pending.cancel()
    db = sqlite3.connect(data / "history.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    async with start_tandem([folder], data, settings=settings_for(model_stub)) as s:
        messages = (await s.command("tandem.getTranscript"))["messages"]
        assert [(m["role"], m["status"]) for m in messages[:2]] == [
            ("user", "complete"),
            ("assistant", "complete"),
        ]
        assert messages[1]["content"] == done["text"]
        assert messages[2]["content"] == "second question"
        assert messages[3]["status"] == "partial"
        assert messages[3]["content"].startswith("word0 ")


async def test_redis_backend_keeps_history_across_servers(
    tmp_path, model_stub, redis_server_private
):
    """Two machines sharing one Redis: a second server (own data dir) sees the history."""
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    settings = {
        **settings_for(model_stub),
        "history": {"backend": "redis", "redisUrl": redis_server_private.url},
    }
    async with start_tandem([repo], tmp_path / "one", settings=settings) as s:
        first = await s.command("tandem.chat", {"prompt": "shared question"})
        assert first["status"] == "complete"
    async with start_tandem([repo], tmp_path / "two", settings=settings) as s:
        transcript = await s.command("tandem.getTranscript")
        assert transcript["sessionId"] == first["sessionId"]
        assert [m["content"] for m in transcript["messages"]] == ["shared question", first["text"]]
        redis_server_private.stop()
        with pytest.raises(JsonRpcException, match="redis"):
            await s.command("tandem.chat", {"prompt": "while redis is down"})
        redis_server_private.start()
        again = await s.command("tandem.chat", {"prompt": "back"})
        assert again["status"] == "complete"
