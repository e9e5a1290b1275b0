"""What the model would see: ``tandem.previewContext`` and the bodies a chat sends."""

from __future__ import annotations

import asyncio
import re

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.support.gitrepo import make_repo
from tests.support.lsp import start_tandem, uri

LIB = "def parse_config(path):\n    '''Read the config.'''\n    return open(path).read()\n"
APP = "from lib import parse_config\n\n\ndef main():\n    return parse_config('x.toml')\n"
FILES = {
    "lib.py": LIB,
    "app.py": APP,
    "notes/todo.md": "# Todo\n\n- ship it\n",
    ".gitignore": "build/\n*.log\n",
}


def settings_for(stub, **context):
    return {"model": {"baseUrl": stub.url, "name": "test-model"}, "context": context}


def text_of(preview) -> str:
    return "\n".join(m["content"] for m in preview["messages"])


async def ready(s):
    await s.wait_state(lambda st: st["folders"] and st["folders"][0].get("index") == "ready")


def full_change(s, doc: str, version: int, text: str) -> None:
    s.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_preview_shows_the_unsaved_buffer_and_the_named_symbol(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        doc = s.open(repo / "app.py")
        s.edit(doc, 2, (4, 25), (4, 31), "prod.toml")
        preview = await s.command(
            "tandem.previewContext", {"prompt": "where is parse_config defined?", "uri": doc}
        )
        body = text_of(preview)
        assert "parse_config('prod.toml')" in body and "parse_config('x.toml')" not in body
        assert "Read the config." in body  # the definition the prompt names
        assert preview["totalTokens"] <= preview["budget"]
        paths = {i["path"] for i in preview["manifest"]["items"] if i.get("path")}
        assert {"app.py", "lib.py"} <= paths
        assert not model_stub.chat_requests()  # a preview never calls the model


async def test_changed_file_is_sent_as_a_diff_and_unchanged_one_is_referenced(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        doc = s.open(repo / "lib.py")
        first = await s.command("tandem.chat", {"prompt": "review lib.py", "uri": doc})
        assert "return open(path).read()" in model_stub.last_body()["messages"][-1]["content"]
        changed = LIB.replace("open(path).read()", "open(path, encoding='utf-8').read()")
        (repo / "lib.py").write_text(changed)
        full_change(s, doc, 2, changed)  # the editor reloads the file changed on disk
        await s.command("tandem.chat", {"prompt": "and now?", "uri": doc})
        last = model_stub.last_body()["messages"][-1]["content"]
        assert "+    return open(path, encoding='utf-8').read()" in last
        assert "-    return open(path).read()" in last
        third = await s.command(
            "tandem.previewContext",
            {"prompt": "anything else?", "uri": doc, "sessionId": first["sessionId"]},
        )
        final = third["messages"][-1]["content"]
        assert "`lib.py` unchanged since you saw it" in final
        modes = {i["path"]: i.get("mode") for i in third["manifest"]["items"] if i.get("path")}
        assert modes.get("lib.py") == "unchanged"


async def test_tiny_budget_is_a_clear_error(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        with pytest.raises(JsonRpcException, match=r"budget|tokens"):
            await s.command("tandem.previewContext", {"prompt": "word " * 400, "budget": 100})
        small = await s.command("tandem.previewContext", {"prompt": "parse_config", "budget": 700})
        assert 0 < small["totalTokens"] <= small["budget"] == 700
        assert small["messages"][-1]["content"].rstrip().endswith("parse_config")


async def test_secrets_and_ignored_files_never_appear(tmp_path, model_stub):
    files = {
        **FILES,
        ".env": "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n",
        "build/out.py": "def parse_config_built():\n    return 'BUILD_ARTIFACT'\n",
        "server.log": "parse_config LOGLINE\n",
        "deploy/id_rsa": (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n"
            "-----END OPENSSH PRIVATE KEY-----\n"
        ),
        "settings.py": "DB_PASSWORD = 'Zx9#kq2!Lm7$Tr4@Wp8'\ndef parse_config_db():\n    pass\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        env = s.open(repo / ".env", language="dotenv")
        preview = await s.command(
            "tandem.previewContext", {"prompt": "parse_config password env OPENAI_API_KEY id_rsa"}
        )
        body = text_of(preview)
        for leaked in (
            "sk-proj-abcdef",
            "BUILD_ARTIFACT",
            "LOGLINE",
            "b3BlbnNzaC1rZXk",
            "Zx9#kq2!",
        ):
            assert leaked not in body
        assert preview["manifest"]["redactions"]
        with pytest.raises(JsonRpcException, match=r"secret|ignored"):
            await s.command(
                "tandem.previewContext",
                {
                    "prompt": "what is this?",
                    "uri": env,
                    "range": {
                        "start": {"line": 0, "character": 0},
                        "end": {"line": 1, "character": 0},
                    },
                },
            )
        assert uri(repo / ".env") == env


async def test_only_recent_requests_are_replayed_whole(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        for n in range(4):
            await s.command("tandem.chat", {"prompt": f"question {n} about parse_config"})
        messages = model_stub.last_body()["messages"]
        users = [m["content"] for m in messages if m["role"] == "user"]
        assert users[0] == "question 0 about parse_config"  # older turns: the words only
        assert all("## Workspace" in u for u in users[-3:])  # 2 replayed whole + this one


async def test_the_diff_follows_the_disk_while_nothing_else_changes(tmp_path, model_stub):
    """The git diff is reused between requests while nothing changed; a file edited on
    disk again (its git status stays "modified") still shows its newest change."""
    import asyncio

    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)

        async def diff_shows(line: str) -> str:
            for _ in range(100):
                preview = await s.command("tandem.previewContext", {"prompt": "what changed?"})
                body = text_of(preview)
                if line in body:
                    return body
                await asyncio.sleep(0.05)
            raise AssertionError(f"{line!r} never reached the diff")

        await s.command("tandem.previewContext", {"prompt": "what changed?"})
        (repo / "lib.py").write_text(LIB.replace("open(path)", "open(path, 'rb')"))
        await diff_shows("+    return open(path, 'rb').read()")
        (repo / "lib.py").write_text(LIB.replace("open(path)", "open(path, 'rt')"))
        body = await diff_shows("+    return open(path, 'rt').read()")
        # The diff holds the newest change only. (The retrieved code may show the
        # older text until the index catches up with the disk, a moment later.)
        assert "+    return open(path, 'rb')" not in body


async def test_files_written_in_bursts_like_a_checkout_are_indexed_in_one_pass(
    tmp_path, model_stub
):
    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        for burst in range(3):  # a checkout writes for a while; each burst is a bulk change
            for n in range(60):
                name = f"m{burst}_{n}"
                (repo / "pkg" / f"{name}.py").parent.mkdir(exist_ok=True)
                (repo / "pkg" / f"{name}.py").write_text(f"def marker_{name}():\n    pass\n")
            await asyncio.sleep(0.1)
        prompt = {"prompt": "where is marker_m2_59 defined?"}
        for _ in range(100):
            if "def marker_m2_59" in text_of(await s.command("tandem.previewContext", prompt)):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the last file written never reached the index")
    log = (tmp_path / "data" / "server.log").read_text()
    passes = [int(n) for n in re.findall(r"index repo: (\d+) files read", log)]
    assert [n for n in passes if n] == [len(FILES), 180]  # the first pass, then one


async def test_documents_closed_as_the_editor_quits_leave_nothing_to_catch_up(tmp_path, model_stub):
    """An editor that quits closes every document, then shuts the server down at once:
    the files are read back from disk before it goes, so the next start reads none."""
    files = {**FILES, **{f"pkg/m{n}.py": f"def disk_{n}():\n    pass\n" for n in range(60)}}
    repo = make_repo(tmp_path / "repo", files)
    data = tmp_path / "data"
    async with start_tandem([repo], data, settings=settings_for(model_stub)) as s:
        await ready(s)
        docs = [s.open(repo / "pkg" / f"m{n}.py") for n in range(60)]
        for n, doc in enumerate(docs):
            full_change(s, doc, 2, f"def unsaved_{n}():\n    pass\n")
        prompt = {"prompt": "where is unsaved_59 defined?"}
        for _ in range(100):  # the buffers reach the index
            if "def unsaved_59" in text_of(await s.command("tandem.previewContext", prompt)):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the unsaved buffers never reached the index")
        for doc in docs:
            s.client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=doc))
            )
    (data / "server.log").unlink()
    async with start_tandem([repo], data, settings=settings_for(model_stub)) as s:
        await ready(s)
        preview = text_of(await s.command("tandem.previewContext", {"prompt": "disk_59"}))
        assert "def disk_59" in preview and "unsaved_59" not in preview
    passes = re.findall(r"index repo: (\d+) files read", (data / "server.log").read_text())
    assert passes and set(passes) == {"0"}  # nothing re-read from disk


async def test_a_save_the_editor_reports_reaches_the_diff_at_once(tmp_path, model_stub):
    """``didSave`` says the disk changed before any watcher could: the next request's
    diff has the saved change, not the one kept from before."""
    repo = make_repo(tmp_path / "repo", FILES)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        await s.command("tandem.previewContext", {"prompt": "what changed?"})  # a diff kept
        doc = s.open(repo / "lib.py")
        full_change(s, doc, 2, LIB.replace("open(path)", "open(path, 'rb')"))
        body = text_of(await s.command("tandem.previewContext", {"prompt": "what changed?"}))
        assert "+    return open(path, 'rb')" not in body  # unsaved: in the buffer, not the diff
        (repo / "lib.py").write_text(LIB.replace("open(path)", "open(path, 'rb')"))
        s.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc))
        )
        body = text_of(await s.command("tandem.previewContext", {"prompt": "what changed?"}))
        assert "+    return open(path, 'rb').read()" in body


async def test_a_large_first_index_on_worker_processes_keeps_the_protocol_clean(
    tmp_path, model_stub
):
    """Above ``PARALLEL_FROM`` files the first index is prepared by spawned workers;
    the server's stdout is the protocol stream, and it must stay clean."""
    from tandem.core.context.index_prepare import PARALLEL_FROM

    files = {
        f"pkg/module_{n}.py": f"def handler_{n}(request):\n    return request.body * {n}\n"
        for n in range(PARALLEL_FROM + 50)
    }
    files["pkg/special.py"] = "def reconcile_ledger_entries(book):\n    return book.balance\n"
    repo = make_repo(tmp_path / "repo", files)
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        state = await s.command("tandem.workspaceState", {})
        assert state["folders"][0]["trackedFiles"] == len(files)
        preview = await s.command(
            "tandem.previewContext", {"prompt": "how are ledger entries reconciled?"}
        )
        assert "def reconcile_ledger_entries" in text_of(preview)
