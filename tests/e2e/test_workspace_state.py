"""The workspace as live state, seen through ``tandem.workspaceState`` and ``tandem.fileView``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.gitrepo import git, make_repo
from tests.support.lsp import start_tandem, uri

pytestmark = pytest.mark.asyncio(loop_scope="function")


def folder_of(state, path: Path):
    """The folder's entry; empty while the server has not added the folder yet."""
    return next((f for f in state["folders"] if f["uri"] == uri(path)), {})


def tracked(state) -> int:
    return state["trackedFiles"]


async def test_unsaved_incremental_edit_is_what_state_and_view_report(tmp_path, profile):
    repo = make_repo(tmp_path / "repo", {"app.py": "def main():\n    return 1\n"})
    async with start_tandem([repo], tmp_path / "data", profile) as s:
        await s.wait_state(lambda st: tracked(st) == 1)
        doc = s.open(repo / "app.py")
        s.edit(doc, 2, (1, 11), (1, 12), "42")
        state = await s.wait_state(
            lambda st: st["openDocuments"] and st["openDocuments"][0]["version"] == 2
        )
        assert state["openDocuments"] == [{"uri": doc, "version": 2, "dirty": True}]
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["text"] == "def main():\n    return 42\n"
        assert view["source"] == "buffer"
        assert view["dirtyVsDisk"] is True and view["changedVsHead"] is True
        assert (repo / "app.py").read_text() == "def main():\n    return 1\n"


async def test_dirty_is_the_buffer_against_disk_even_at_the_same_size(tmp_path):
    """Sizes differ: dirty without a read; equal sizes (a letter replaced, one
    two-byte character for another) are compared; undoing the edit is clean again."""
    repo = make_repo(tmp_path / "repo", {"app.py": "name = 'café'\n"})
    async with start_tandem([repo], tmp_path / "data") as s:
        await s.wait_state(lambda st: tracked(st) == 1)
        doc = s.open(repo / "app.py")

        async def dirty(version):
            state = await s.wait_state(
                lambda st: st["openDocuments"] and st["openDocuments"][0]["version"] == version
            )
            return state["openDocuments"][0]["dirty"]

        assert await dirty(1) is False
        edits = [
            ((0, 0), (0, 1), "g", True),  # same size, other text
            ((0, 0), (0, 1), "n", False),  # back to the disk text
            ((0, 11), (0, 12), "è", True),  # é -> è: two bytes for two
            ((0, 11), (0, 12), "é", False),
            ((0, 12), (0, 12), "!", True),  # a byte longer
        ]
        for version, (start, end, text, expected) in enumerate(edits, start=2):
            s.edit(doc, version, start, end, text)
            assert await dirty(version) is expected, (version, text)


@pytest.mark.parametrize("client_watch", [False, True], ids=["server-watch", "client-watch"])
async def test_file_written_by_another_process_shows_up(tmp_path, client_watch):
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    async with start_tandem([repo], tmp_path / "data", client_watch=client_watch) as s:
        await s.wait_state(lambda st: tracked(st) == 1)
        (repo / "b.py").write_text("b = 2\n")
        if client_watch:  # the editor's watcher reports it; Tandem runs none of its own
            from lsprotocol import types

            s.client.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[
                        types.FileEvent(uri=uri(repo / "b.py"), type=types.FileChangeType.Created)
                    ]
                )
            )
        untracked = {"path": "b.py", "status": "untracked"}
        await s.wait_state(
            lambda st: tracked(st) == 2 and untracked in folder_of(st, repo)["changedFiles"]
        )
        view = await s.command("tandem.fileView", {"uri": uri(repo / "b.py")})
        assert view["source"] == "disk" and view["text"] == "b = 2\n"


async def test_commit_stage_and_checkout_are_reflected(tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    async with start_tandem([repo], tmp_path / "data") as s:
        state = await s.wait_state(lambda st: folder_of(st, repo).get("head") is not None)
        first_head = folder_of(state, repo)["head"]
        assert folder_of(state, repo)["branch"] == "main"
        (repo / "a.py").write_text("a = 2\n")
        git(repo, "add", "a.py")
        await s.wait_state(
            lambda st: (
                folder_of(st, repo).get("changedFiles") == [{"path": "a.py", "status": "modified"}]
            )
        )
        git(repo, "commit", "-q", "-m", "second")
        state = await s.wait_state(lambda st: folder_of(st, repo).get("head") != first_head)
        assert folder_of(state, repo)["changedFiles"] == []
        assert folder_of(state, repo)["baseline"] == first_head
        git(repo, "checkout", "-q", "-b", "feature")
        await s.wait_state(lambda st: folder_of(st, repo).get("branch") == "feature")
        git(repo, "checkout", "-q", first_head)
        state = await s.wait_state(lambda st: folder_of(st, repo).get("detached"))
        assert folder_of(state, repo)["branch"] is None


async def test_a_view_compares_with_the_newest_commit(tmp_path):
    """What HEAD holds of a file is kept per commit: a new commit is seen at once."""
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    async with start_tandem([repo], tmp_path / "data") as s:
        state = await s.wait_state(lambda st: folder_of(st, repo).get("head") is not None)
        first_head = folder_of(state, repo)["head"]
        doc = s.open(repo / "a.py")
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["changedVsHead"] is False
        s.edit(doc, 2, (0, 4), (0, 5), "2")
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["text"] == "a = 2\n" and view["changedVsHead"] is True
        (repo / "a.py").write_text("a = 2\n")
        git(repo, "commit", "-qam", "second")
        await s.wait_state(lambda st: folder_of(st, repo).get("head") != first_head)
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["changedVsHead"] is False
        git(repo, "reset", "-q", "--hard", first_head)
        await s.wait_state(lambda st: folder_of(st, repo).get("head") == first_head)
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["changedVsHead"] is True  # the buffer still says 2, HEAD 1 again


async def test_two_folders_one_git_one_not(tmp_path, profile):
    repo = make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.md").write_text("# notes\n")
    async with start_tandem([repo, plain], tmp_path / "data", profile) as s:
        state = await s.wait_state(lambda st: tracked(st) == 2 and len(st["folders"]) == 2)
        assert folder_of(state, repo)["isGitRepo"] is True
        assert folder_of(state, plain)["isGitRepo"] is False
        only_plain = await s.state(plain)
        assert [f["uri"] for f in only_plain["folders"]] == [uri(plain)]
        assert only_plain["trackedFiles"] == 1


async def test_surrogate_pair_edit_in_utf16_and_utf8_sessions(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "e.py").write_text("s = '😀x'\n")
    # utf-16: the emoji is two code units, so 'x' starts at character 7
    async with start_tandem([folder], tmp_path / "d1", encodings=["utf-16"]) as s:
        assert s.server_capabilities.capabilities.position_encoding == "utf-16"
        doc = s.open(folder / "e.py")
        s.edit(doc, 2, (0, 7), (0, 8), "y")
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["text"] == "s = '😀y'\n"
    # utf-8: the emoji is four bytes, so 'x' starts at character 9
    async with start_tandem([folder], tmp_path / "d2", encodings=["utf-8", "utf-16"]) as s:
        assert s.server_capabilities.capabilities.position_encoding == "utf-8"
        doc = s.open(folder / "e.py")
        s.edit(doc, 2, (0, 9), (0, 10), "z")
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["text"] == "s = '😀z'\n"


async def test_single_file_without_folder(tmp_path):
    lone = tmp_path / "lone.py"
    lone.write_text("x = 1\n")
    async with start_tandem([], tmp_path / "data") as s:
        doc = s.open(lone)
        s.edit(doc, 2, (0, 4), (0, 5), "2")
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["text"] == "x = 2\n" and view["folder"] is None
        state = await s.state()
        assert state["folders"] == [] and state["openDocuments"][0]["uri"] == doc


async def test_bad_input_keeps_last_good_state(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "a.py").write_text("line\n")
    (folder / "blob.bin").write_bytes(b"\x00\x01" * 1000)
    (folder / "huge.txt").write_bytes(b"x" * (50 * 1024 * 1024))
    os.symlink(folder / "loop", folder / "loop")
    (folder / "sub").mkdir()
    os.symlink(folder, folder / "sub" / "back")
    async with start_tandem([folder], tmp_path / "data") as s:
        await s.wait_state(lambda st: st["folders"] and st["folders"][0]["trackedFiles"] >= 1)
        doc = s.open(folder / "a.py")
        s.edit(doc, 2, (0, 3), (0, 1), "backwards")
        view = await s.command("tandem.fileView", {"uri": doc})
        assert view["text"] == "line\n" and view["version"] == 1
        assert any("after its end" in m.message for m in s.client.messages)
        from pygls.exceptions import JsonRpcException

        with pytest.raises(JsonRpcException):
            await s.command("tandem.fileView", {"uri": uri(tmp_path / "elsewhere.py")})
        with pytest.raises(JsonRpcException):
            await s.command("tandem.fileView", {"nope": 1})
        blob = await s.command("tandem.fileView", {"uri": uri(folder / "blob.bin")})
        assert blob["text"] is None
        state = await s.state()
        assert state["trackedFiles"] == 2  # a.py and blob.bin: the 50 MB file is not tracked
        huge = await s.command("tandem.fileView", {"uri": uri(folder / "huge.txt")})
        assert huge["text"] is None
        # a watched folder removed: the server keeps answering
        import shutil

        shutil.rmtree(folder)
        state = await s.state()
        assert state["openDocuments"][0]["version"] == 1
