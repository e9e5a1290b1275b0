"""Chat over LSP against a real HTTP model stub: streaming, selection, history, faults."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.support.gitrepo import make_repo
from tests.support.lsp import start_tandem, uri
from tests.support.model_stub import Malformed, Reply, SlowStream, Status

APP = "def main():\n    return compute(2)\n\n\ndef compute(x):\n    return x * 21\n"


def settings_for(stub, **model):
    return {"model": {"baseUrl": stub.url, "name": "test-model", "maxRetries": 1, **model}}


async def ready(s):
    await s.wait_state(lambda st: st["folders"] and st["folders"][0].get("index") == "ready")


async def test_chat_streams_and_sends_unsaved_text_and_history(tmp_path, model_stub, profile):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    async with start_tandem(
        [repo], tmp_path / "data", profile, settings=settings_for(model_stub)
    ) as s:
        await ready(s)
        doc = s.open(repo / "app.py")
        s.edit(doc, 2, (5, 15), (5, 17), "42")
        pieces = ["`compute` ", "returns ", "x * 42."]  # apart in time: each its own delta
        model_stub.script(Reply(chunks=pieces, delay_per_chunk=0.05))
        first = await s.command("tandem.chat", {"prompt": "what does compute return?", "uri": doc})
        assert first["status"] == "complete"
        body = model_stub.last_body()
        sent = "\n".join(m["content"] for m in body["messages"])
        assert "return x * 42" in sent and "return x * 21" not in sent
        deltas = [
            d["delta"]
            for d in s.notifications["tandem/chatDelta"]
            if d["turnId"] == first["turnId"]
        ]
        assert deltas == pieces and "".join(deltas) == first["text"]
        assert first["usage"]["totalTokens"] > 0
        second = await s.command("tandem.chat", {"prompt": "and main?"})
        assert second["sessionId"] == first["sessionId"]
        roles = [m["role"] for m in model_stub.last_body()["messages"]]
        assert roles[-3:] == ["user", "assistant", "user"]
        assert first["text"] in [m["content"] for m in model_stub.last_body()["messages"]]
        transcript = await s.command("tandem.getTranscript")
        statuses = [(m["role"], m["status"]) for m in transcript["messages"]]
        assert statuses == [("user", "complete"), ("assistant", "complete")] * 2
        assert transcript["messages"][1]["usage"] == first["usage"]


async def test_selection_and_code_action(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        doc = s.open(repo / "app.py")
        rng = types.Range(types.Position(4, 0), types.Position(6, 0))
        actions = await s.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                range=rng,
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert [a.title for a in actions] == ["Ask Tandem about selection"]
        command = actions[0].command
        result = await s.command(command.command, command.arguments[0])
        assert result["status"] == "complete"
        final = model_stub.last_body()["messages"][-1]["content"]
        assert "def compute(x):" in final and "Explain this code." in final
        empty = await s.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                range=types.Range(types.Position(1, 0), types.Position(1, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert not empty


async def test_cancel_mid_stream_closes_the_model_connection(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        model_stub.script(SlowStream(["part ", "of ", "an ", "answer "] * 50, delay=0.05))
        turn = asyncio.ensure_future(s.command("tandem.chat", {"prompt": "long answer please"}))
        await s.wait_for_notification("tandem/chatDelta")
        status = await s.command("tandem.cancel", {})
        assert status == {"cancelled": True}
        result = await turn
        assert result["status"] == "cancelled" and result["text"].startswith("part ")
        assert model_stub.wait_disconnected(timeout=1.0) is not None
        transcript = await s.command("tandem.getTranscript")
        assert transcript["messages"][-1]["status"] == "cancelled"
        after = await s.command("tandem.chat", {"prompt": "next"})
        assert after["status"] == "complete"


async def test_cancel_request_closes_the_stream_and_records_partial(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        model_stub.script(SlowStream(["slow "] * 200, delay=0.05))
        pending, msg_id = await s.request_command("tandem.chat", {"prompt": "go"})
        await s.wait_for_notification("tandem/chatDelta")
        s.client.protocol.notify("$/cancelRequest", types.CancelParams(id=msg_id))
        with pytest.raises(JsonRpcException, match="cancel"):
            await pending
        assert model_stub.wait_disconnected(timeout=1.0) is not None
        transcript = await s.wait_transcript(lambda m: m[-1]["status"] == "cancelled")
        assert transcript[-1]["content"].startswith("slow")
        assert (await s.command("tandem.chat", {"prompt": "next"}))["status"] == "complete"


@pytest.mark.parametrize(
    ("fault", "needle"),
    [
        ([Status(401)], "OPENAI_API_KEY"),
        ([Status(500), Status(500)], "500"),
        ([Malformed()], "stream"),
    ],
    ids=["auth", "server-error", "malformed"],
)
async def test_model_faults_end_the_turn_with_a_message(tmp_path, model_stub, fault, needle):
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        model_stub.script(*fault)
        result = await s.command("tandem.chat", {"prompt": "hello"})
        assert result["status"] == "error" and needle in result["error"]
        assert any(needle in m.message for m in s.client.messages)
        ok = await s.command("tandem.chat", {"prompt": "again"})
        assert ok["status"] == "complete"
        transcript = await s.command("tandem.getTranscript")
        statuses = [m["status"] for m in transcript["messages"]]
        assert statuses == ["complete", "error", "complete", "complete"]


async def test_unreachable_endpoint_names_the_url(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    settings = {"model": {"baseUrl": "http://127.0.0.1:9/v1", "name": "m", "maxRetries": 0}}
    async with start_tandem([folder], tmp_path / "data", settings=settings) as s:
        result = await s.command("tandem.chat", {"prompt": "hello"})
        assert result["status"] == "error" and "127.0.0.1:9" in result["error"]


async def test_bad_chat_arguments_are_clear_errors(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        for args in ({}, {"prompt": 3}, {"prompt": "x", "range": {"start": 1}}, {"prompt": ""}):
            with pytest.raises(JsonRpcException):
                await s.command("tandem.chat", args)
        with pytest.raises(JsonRpcException):
            await s.command("tandem.chat", {"prompt": "x", "uri": uri(tmp_path / "outside.py")})
        assert (await s.command("tandem.chat", {"prompt": "still up"}))["status"] == "complete"


async def test_a_turn_failing_before_the_model_call_ends_its_reply_saying_why(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    outside = uri(tmp_path / "outside.py")
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        with pytest.raises(JsonRpcException) as refused:
            await s.command("tandem.chat", {"prompt": "read this", "uri": outside})
        assert model_stub.chat_requests() == []
        messages = (await s.command("tandem.getTranscript"))["messages"]
        assert [(m["role"], m["status"], m["content"]) for m in messages] == [
            ("user", "complete", "read this"),
            ("assistant", "error", ""),
        ]
        assert messages[1]["error"] and messages[1]["error"] in str(refused.value)
        assert (await s.command("tandem.chat", {"prompt": "still up"}))["status"] == "complete"
        sent = [(m["role"], m["content"]) for m in model_stub.last_body()["messages"]]
        assert ("assistant", "") not in sent
        assert sent[-1][1].startswith("read this") and "still up" in sent[-1][1]
