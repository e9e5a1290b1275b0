"""Protocol details: folders changing, settings problems, progress, diagnostics, models."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tests.support.gitrepo import make_repo
from tests.support.lsp import start_tandem, uri
from tests.support.model_stub import SlowStream

APP = "def main():\n    return 1 / 0\n"


def settings_for(stub):
    return {"model": {"baseUrl": stub.url, "name": "test-model"}}


async def test_folders_added_and_removed_while_running(tmp_path):
    one = make_repo(tmp_path / "one", {"a.py": "a = 1\n"})
    two = make_repo(tmp_path / "two", {"b.py": "b = 1\n", "c.py": "c = 1\n"})
    async with start_tandem([one], tmp_path / "data") as s:
        await s.wait_state(lambda st: st["trackedFiles"] == 1)
        s.client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[types.WorkspaceFolder(uri=uri(two), name="two")], removed=[]
                )
            )
        )
        await s.wait_state(lambda st: st["trackedFiles"] == 3 and len(st["folders"]) == 2)
        s.client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[], removed=[types.WorkspaceFolder(uri=uri(one), name="one")]
                )
            )
        )
        state = await s.wait_state(lambda st: len(st["folders"]) == 1)
        assert state["folders"][0]["uri"] == uri(two) and state["trackedFiles"] == 2


async def test_broken_settings_are_reported_and_defaulted(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    bad = {"model": {"contextWindow": "huge"}, "history": {"backend": "mongo"}}
    async with start_tandem([folder], tmp_path / "data", settings=bad) as s:
        status = await s.command("tandem.status")
        assert status["historyBackend"] == "sqlite"
        shown = " ".join(m.message for m in s.client.messages)
        assert "model.contextWindow" in shown and "history.backend" in shown


async def test_indexing_reports_progress(tmp_path):
    repo = make_repo(tmp_path / "repo", {f"m{i}.py": f"x{i} = {i}\n" for i in range(30)})
    async with start_tandem([repo], tmp_path / "data", profile="vscode") as s:
        await s.wait_state(lambda st: st["folders"] and st["folders"][0].get("index") == "ready")
        reports = [r for rs in s.client.progress_reports.values() for r in rs]
        kinds = [r.kind for r in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        assert any("Indexing repo" in (getattr(r, "title", "") or "") for r in reports)


async def test_chat_progress_and_its_cancel_button(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        s.client.progress_reports.setdefault("chat-token", [])
        done = await s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="tandem.chat", arguments=[{"prompt": "hi"}], work_done_token="chat-token"
            )
        )
        assert done["status"] == "complete"
        kinds = [r.kind for r in s.client.progress_reports["chat-token"]]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        model_stub.script(SlowStream(["tick "] * 200, delay=0.05))
        s.mark_seen("tandem/chatDelta")
        s.client.progress_reports.setdefault("slow-token", [])
        pending = asyncio.ensure_future(
            s.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="tandem.chat",
                    arguments=[{"prompt": "slow"}],
                    work_done_token="slow-token",
                )
            )
        )
        await s.wait_for_notification("tandem/chatDelta")
        s.client.window_work_done_progress_cancel(
            types.WorkDoneProgressCancelParams(token="slow-token")
        )
        result = await asyncio.wait_for(pending, 5)
        assert result["status"] == "cancelled"
        assert model_stub.wait_disconnected(timeout=1.0) is not None


async def test_code_action_with_diagnostics_sends_them(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        doc = s.open(folder / "app.py")
        diagnostic = types.Diagnostic(
            range=types.Range(types.Position(1, 11), types.Position(1, 16)),
            message="division by zero",
            source="pyright",
        )
        actions = await s.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                range=types.Range(types.Position(1, 0), types.Position(2, 0)),
                context=types.CodeActionContext(diagnostics=[diagnostic]),
            )
        )
        assert actions[0].kind == types.CodeActionKind.QuickFix
        command = actions[0].command
        await s.command(command.command, command.arguments[0])
        final = model_stub.last_body()["messages"][-1]["content"]
        assert "division by zero" in final and "return 1 / 0" in final


async def test_turns_in_one_session_run_one_at_a_time(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        model_stub.script(SlowStream(["first ", "answer ", "done"], delay=0.2))
        first = asyncio.ensure_future(s.command("tandem.chat", {"prompt": "one"}))
        await s.wait_for_notification("tandem/chatDelta")
        second = asyncio.ensure_future(s.command("tandem.chat", {"prompt": "two"}))
        one, two = await asyncio.gather(first, second)
        assert one["sessionId"] == two["sessionId"]
        sent = [m["content"] for m in model_stub.last_body()["messages"]]
        assert "first answer done" in sent  # the second turn saw the first one's answer
        other = await s.command("tandem.newSession", {})
        assert other["sessionId"] != one["sessionId"]


async def test_list_models_asks_the_endpoint(tmp_path, model_stub):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings_for(model_stub)) as s:
        models = await s.command("tandem.listModels")
        assert models["endpoint"] == model_stub.url and "stub-model" in models["models"]
