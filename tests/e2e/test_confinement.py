"""Paths outside the workspace folders are refused with a clear error, and never read.

"Never read" is proven two ways. The outside target is a FIFO without a writer: any
``open`` of it for reading would block the server (the command would time out), and
while a reader waits on it, opening it for writing succeeds, so after every command
the test checks that doing so still fails with ENXIO. And a plain outside file holds a
canary that must appear in no answer and no request the model stub received.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.support import figures
from tests.support.gitrepo import make_repo
from tests.support.lsp import start_tandem, uri

CANARY = "outside canary qzvkrnw"
ENV_CANARY = "dotenv canary plmoqtx"
APP = "def main():\n    return 42\n"
RANGE = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}
TIMEOUT = 10.0


def settings_for(stub: Any) -> dict[str, Any]:
    return {"model": {"baseUrl": stub.url, "name": "test-model", "maxRetries": 0}}


def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A repo with links leading out (to a FIFO and a canary file) and one to ``.env``."""
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe")
    (outside / "notes.txt").write_text(f"{CANARY}\n")
    repo = make_repo(tmp_path / "repo", {"app.py": APP, ".env": f"MODE='{ENV_CANARY}'\n"})
    (repo / "pipe_link").symlink_to(outside / "pipe")
    (repo / "notes_link.txt").symlink_to(outside / "notes.txt")
    (repo / "outdir").symlink_to(outside, target_is_directory=True)
    (repo / "env_link.txt").symlink_to(repo / ".env")
    return repo, outside


def outside_uris(repo: Path, outside: Path) -> dict[str, str]:
    base = uri(repo)
    return {
        "outside file": uri(outside / "notes.txt"),
        "outside fifo": uri(outside / "pipe"),
        "dot-dot": f"{base}/../outside/notes.txt",
        "dot-dot fifo": f"{base}/../outside/pipe",
        "percent-encoded dot-dot": f"{base}/%2e%2e/outside/pipe",
        "percent-encoded upper": f"{base}/%2E%2E/outside/notes.txt",
        "symlinked file": f"{base}/notes_link.txt",
        "symlinked fifo": f"{base}/pipe_link",
        "symlinked dir": f"{base}/outdir/pipe",
        "symlinked dir file": f"{base}/outdir/notes.txt",
    }


def calls(target: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("tandem.fileView", {"uri": target}),
        ("tandem.chat", {"prompt": "what is in it?", "uri": target}),
        ("tandem.chat", {"prompt": "what is in it?", "uri": target, "range": RANGE}),
        ("tandem.askAboutSelection", {"uri": target, "range": RANGE}),
        ("tandem.previewContext", {"prompt": "what is in it?", "uri": target}),
        ("tandem.previewContext", {"prompt": "what?", "uri": target, "range": RANGE}),
    ]


def assert_fifo_unread(fifo: Path) -> None:
    """Opening a FIFO for writing without blocking fails (ENXIO) unless a reader has it open."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        assert error.errno == errno.ENXIO
        return
    os.close(fd)
    raise AssertionError(f"something opened {fifo} for reading")


async def refused(s: Any, name: str, args: dict[str, Any], match: str, fifo: Path) -> str:
    try:
        with pytest.raises(JsonRpcException, match=match) as caught:
            await asyncio.wait_for(s.command(name, args), TIMEOUT)
    finally:
        assert_fifo_unread(fifo)  # also unblocks a server stuck reading it
    return str(caught.value)


def open_as_named(s: Any, doc_uri: str, text: str) -> str:
    """didOpen with the URI as given (``Session.open`` resolves symlinks first)."""
    s.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=doc_uri, language_id="plaintext", version=1, text=text)
        )
    )
    return doc_uri


async def ready(s: Any) -> None:
    await s.wait_state(lambda st: st["folders"] and st["folders"][0].get("index") == "ready")


async def test_outside_paths_are_refused_and_never_read(tmp_path, model_stub):
    repo, outside = layout(tmp_path)
    errors = []
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        for label, target in outside_uris(repo, outside).items():
            for name, args in calls(target):
                message = await refused(s, name, args, "outside the workspace", outside / "pipe")
                figures.add("Confinement: paths outside the workspace", commands_tried=1)
                errors.append(message)
                assert CANARY not in message, (label, name)
        after = await s.command("tandem.chat", {"prompt": "still there?"})
        assert after["status"] == "complete"  # the server was never blocked
    assert "outside the workspace folders; it will not be read" in errors[0]
    sent = json.dumps([r.body for r in model_stub.requests])
    figures.add(
        "Confinement: paths outside the workspace",
        kinds_of_outside_path=len(outside_uris(repo, outside)),
        refused=len(errors),
        canaries_in_model_requests=sent.count(CANARY) + sent.count(ENV_CANARY),
    )
    assert CANARY not in sent and ENV_CANARY not in sent


async def test_symlink_to_a_denied_file_is_refused(tmp_path, model_stub):
    repo, outside = layout(tmp_path)
    link = f"{uri(repo)}/env_link.txt"
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        open_as_named(s, link, f"MODE='{ENV_CANARY}'\n")
        for name, args in calls(link):
            if "range" in args or name == "tandem.fileView":
                message = await refused(s, name, args, "secret", outside / "pipe")
                assert "workspace.allow" in message
        result = await s.command("tandem.chat", {"prompt": "what is in env_link.txt?", "uri": link})
        assert result["status"] == "complete"
        preview = await s.command("tandem.previewContext", {"prompt": "MODE env_link"})
    sent = json.dumps([r.body for r in model_stub.requests]) + json.dumps(preview)
    assert ENV_CANARY not in sent


async def test_outside_buffers_get_no_code_action_and_are_never_sent(tmp_path, model_stub):
    repo, outside = layout(tmp_path)
    fifo = outside / "pipe"
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        elsewhere = s.open(outside / "notes.txt", f"{CANARY}\n", language="plaintext")
        linked = open_as_named(s, f"{uri(repo)}/pipe_link", f"{CANARY}\n")
        inside = s.open(repo / "app.py")
        for doc in (elsewhere, linked, inside):
            actions = await s.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=doc),
                    range=types.Range(types.Position(0, 0), types.Position(1, 0)),
                    context=types.CodeActionContext(diagnostics=[]),
                )
            )
            assert len(actions) == (1 if doc == inside else 0)
        await refused(s, "tandem.chat", {"prompt": "x", "uri": elsewhere}, "outside", fifo)
        try:
            result = await asyncio.wait_for(
                s.command("tandem.chat", {"prompt": "what do the notes say?"}), TIMEOUT
            )
            state = await asyncio.wait_for(s.state(), TIMEOUT)
        finally:
            assert_fifo_unread(fifo)
    assert result["status"] == "complete" and len(state["openDocuments"]) == 3
    assert CANARY not in json.dumps([r.body for r in model_stub.requests])


def test_cli_refuses_files_outside_the_workspace(tmp_path):
    repo, outside = layout(tmp_path)
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path / "data")}
    targets = [outside / "pipe", repo / "pipe_link", f"{repo}/../outside/notes.txt", repo / ".env"]
    for target in targets:
        try:
            out = subprocess.run(
                [sys.executable, "-m", "tandem", "context", "what is this?", "--json",
                 "--workspace", str(repo), "--file", str(target), "--lines", "1-1"],
                capture_output=True, text=True, env=env, timeout=TIMEOUT,
            )  # fmt: skip
        finally:
            assert_fifo_unread(outside / "pipe")
        expected = "secret" if str(target).endswith(".env") else "outside the workspace"
        assert out.returncode == 1 and expected in out.stderr, out.stderr
        assert CANARY not in out.stdout + out.stderr and ENV_CANARY not in out.stdout
