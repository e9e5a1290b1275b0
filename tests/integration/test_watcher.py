"""FolderWatcher on real folders: events, ignored paths, new folders, removal, watch counts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from watchfiles._rust_notify import RustNotify

from tandem.core.ignore import IgnoreRules
from tandem.infra.scan import scan_dirs
from tandem.infra.watcher import FOLDER_REMOVED, FileEvent, FolderWatcher

TIMEOUT = 5.0


class Collector:
    """The ``on_changes`` callback: keeps every event; tests await what they expect."""

    def __init__(self) -> None:
        self.events: list[FileEvent] = []
        self.batches = 0
        self._arrived = asyncio.Event()

    async def __call__(self, events: list[FileEvent]) -> None:
        self.events += events
        self.batches += 1
        self._arrived.set()

    async def wait_for(self, predicate: Callable[[list[FileEvent]], bool]) -> list[FileEvent]:
        async def loop() -> None:
            while not predicate(self.events):
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(loop(), TIMEOUT)
        return self.events

    async def wait_event(self, kind: str, rel: str) -> None:
        await self.wait_for(lambda evs: FileEvent(kind, rel) in evs)  # type: ignore[arg-type]

    def paths(self) -> set[str]:
        return {e.rel_path for e in self.events}


Started = tuple[FolderWatcher, Collector, "asyncio.Task[None]"]


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., object]]:
    running: list[tuple[FolderWatcher, asyncio.Task[None]]] = []

    async def start(root: Path, **options: object) -> Started:
        watcher = FolderWatcher(root, IgnoreRules.load(root), **options)  # type: ignore[arg-type]
        collector = Collector()
        task = asyncio.create_task(watcher.run(collector))
        running.append((watcher, task))
        await asyncio.wait_for(watcher.ready.wait(), TIMEOUT)
        return watcher, collector, task

    yield start
    for watcher, task in running:
        watcher.stop()
        await asyncio.wait_for(task, TIMEOUT)


async def until(condition: Callable[[], bool]) -> None:
    """Wait for watcher state that no event announces (a new plan), checking every 10 ms."""

    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(loop(), TIMEOUT)


def inotify_watches() -> int:
    """Watches this process holds now: ``inotify wd:`` lines of its inotify descriptors."""
    count = 0
    for info in Path("/proc/self/fdinfo").iterdir():
        try:
            count += info.read_text().count("inotify wd:")
        except OSError:  # a descriptor closed while we looked
            continue
    return count


def make_tree(root: Path, rels: list[str]) -> Path:
    for rel in rels:
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n")
    return root


async def test_create_modify_delete_are_reported(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["src/old.py", "src/keep.py"])
    _, seen, _ = await start(tmp_path)
    (tmp_path / "src" / "new.py").write_text("a = 1\n")
    await seen.wait_event("added", "src/new.py")
    (tmp_path / "src" / "keep.py").write_text("changed\n")
    await seen.wait_event("modified", "src/keep.py")
    (tmp_path / "src" / "old.py").unlink()
    await seen.wait_event("deleted", "src/old.py")


async def test_ignored_paths_produce_no_events(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["node_modules/react/index.js", ".git/HEAD", "src/a.py"])
    (tmp_path / ".gitignore").write_text("*.log\n")
    _, seen, _ = await start(tmp_path)
    (tmp_path / "node_modules" / "react" / "index.js").write_text("changed")
    (tmp_path / "node_modules" / "new.js").write_text("new")
    (tmp_path / ".git" / "index").write_text("idx")
    (tmp_path / "src" / "debug.log").write_text("log")
    (tmp_path / "src" / "__pycache__").mkdir()
    (tmp_path / "src" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    (tmp_path / "sentinel.py").write_text("last\n")
    await seen.wait_event("added", "sentinel.py")
    assert seen.paths() == {"sentinel.py"}


async def test_new_subdirectory_and_file_in_it(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["src/a.py"])
    _, seen, _ = await start(tmp_path)
    (tmp_path / "src" / "pkg" / "deep").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "deep" / "m.py").write_text("m\n")
    await seen.wait_event("added", "src/pkg/deep/m.py")
    (tmp_path / "src" / "pkg" / "deep" / "m.py").write_text("m2\n")
    await seen.wait_event("modified", "src/pkg/deep/m.py")


async def test_new_folder_beside_an_ignored_one_is_watched_after_a_replan(
    tmp_path: Path, start
) -> None:
    # the root holds node_modules, so it is watched alone: a new folder needs a new plan
    make_tree(tmp_path, ["node_modules/x/", "a.py"])
    watcher, seen, _ = await start(tmp_path)
    assert watcher.plan is not None and watcher.plan.flat == ("",)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "early.py").write_text("written before any watch covers lib/\n")
    await seen.wait_event("added", "lib/early.py")
    await asyncio.wait_for(watcher.ready.wait(), TIMEOUT)
    assert "lib" in watcher.plan.recursive
    (tmp_path / "lib" / "late.py").write_text("late\n")
    await seen.wait_event("added", "lib/late.py")


async def test_a_new_node_modules_stops_being_watched(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["src/a.py"])
    watcher, seen, _ = await start(tmp_path)
    assert watcher.plan is not None and watcher.plan.recursive == ("",)
    make_tree(tmp_path, [f"node_modules/p{i}/lib/" for i in range(50)])
    (tmp_path / "after.py").write_text("x\n")
    await seen.wait_event("added", "after.py")
    await until(lambda: watcher.restarts == 1 and watcher.ready.is_set())
    assert watcher.plan.flat == ("",) and watcher.plan.watched_dirs == 2
    await until(lambda: inotify_watches() == 2)  # the old watches go as notify shuts down
    assert not any(p.startswith("node_modules") for p in seen.paths())


async def test_a_folder_missing_from_the_given_tree_is_planned_once_a_walk_finds_it(
    tmp_path: Path, start
) -> None:
    make_tree(tmp_path, [".git/objects/", "src/a.py"])  # .git pruned: the root is watched alone
    tree = scan_dirs(tmp_path, IgnoreRules.load(tmp_path))
    make_tree(tmp_path, ["late/a.py"])  # made after the walk, before the watches
    watcher, seen, _ = await start(tmp_path, tree=tree)
    assert watcher.plan is not None and "late" not in watcher.plan.dirs
    watcher.check_dirs(scan_dirs(tmp_path, IgnoreRules.load(tmp_path)).dirs)
    await seen.wait_event("added", "late/a.py")  # what the new folder held is reported
    assert "late" in watcher.plan.dirs
    (tmp_path / "late" / "b.py").write_text("x\n")
    await seen.wait_event("added", "late/b.py")


async def test_watches_only_the_tracked_folders(tmp_path: Path, start) -> None:
    make_tree(tmp_path, [f"node_modules/pkg{i}/lib/" for i in range(300)] + [".git/objects/"])
    make_tree(tmp_path, [f"src/m{i}/" for i in range(10)] + ["docs/a.md"])
    before = inotify_watches()
    with RustNotify([str(tmp_path)], False, False, 0, True, False):
        naive = inotify_watches() - before  # what a plain recursive watch costs
    watcher, _, _ = await start(tmp_path)
    ours = inotify_watches() - before
    assert watcher.plan is not None and watcher.plan.watched_dirs == 13  # "", src, 10, docs
    assert naive > 600
    assert ours <= watcher.plan.watched_dirs


async def test_rules_file_change_rebuilds_the_rules(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["gen/a.py", "src/b.py"])
    watcher, seen, _ = await start(tmp_path)
    (tmp_path / ".gitignore").write_text("gen/\n")
    await seen.wait_event("added", ".gitignore")
    assert watcher.rules.is_ignored("gen", is_dir=True)
    await until(lambda: watcher.restarts == 1 and watcher.ready.is_set())
    assert watcher.plan is not None and "gen" not in watcher.plan.dirs
    (tmp_path / "gen" / "a.py").write_text("changed\n")
    (tmp_path / "src" / "b.py").write_text("changed\n")
    await seen.wait_event("modified", "src/b.py")
    assert "gen/a.py" not in seen.paths()


async def test_removed_subfolder_does_not_disturb_the_rest(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["node_modules/x/", "a/one.py", "b/two.py"])
    watcher, seen, task = await start(tmp_path)
    shutil.rmtree(tmp_path / "a")
    await seen.wait_event("deleted", "a/one.py")
    (tmp_path / "b" / "two.py").write_text("still watched\n")
    await seen.wait_event("modified", "b/two.py")
    assert not task.done() and watcher.stopped_reason is None


async def test_removed_folder_stops_the_watcher_cleanly(tmp_path: Path, start) -> None:
    root = make_tree(tmp_path / "ws", ["src/a.py", "node_modules/x/"])
    watcher, seen, task = await start(root)
    shutil.rmtree(root)
    await asyncio.wait_for(task, TIMEOUT)  # returns, does not raise
    assert watcher.stopped_reason == FOLDER_REMOVED
    assert FileEvent("deleted", "src/a.py") in seen.events
    assert not any(e.rel_path.startswith("node_modules") for e in seen.events)
    assert not watcher.ready.is_set()


async def test_stop_releases_every_watch(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["src/a/", "node_modules/x/"])
    before = inotify_watches()
    watcher, _, task = await start(tmp_path)
    assert inotify_watches() > before
    watcher.stop()
    await asyncio.wait_for(task, TIMEOUT)
    await until(lambda: inotify_watches() == before)


async def test_polling_mode_reports_changes(tmp_path: Path, start) -> None:
    make_tree(tmp_path, ["src/a.py", "node_modules/x/"])
    before = inotify_watches()
    _, seen, _ = await start(tmp_path, force_polling=True, poll_delay_ms=50)
    assert inotify_watches() == before
    (tmp_path / "src" / "b.py").write_text("b\n")
    await seen.wait_event("added", "src/b.py")


async def test_sync_callback_and_failing_callback(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a.py"])
    watcher = FolderWatcher(tmp_path, IgnoreRules.load(tmp_path))
    calls: list[list[FileEvent]] = []
    arrived = asyncio.Event()

    def on_changes(events: list[FileEvent]) -> None:
        calls.append(events)
        arrived.set()
        if len(calls) == 1:
            raise ValueError("a listener bug")

    task = asyncio.create_task(watcher.run(on_changes))
    await asyncio.wait_for(watcher.ready.wait(), TIMEOUT)
    for name in ("b.py", "c.py"):
        arrived.clear()
        (tmp_path / name).write_text("x\n")
        await asyncio.wait_for(arrived.wait(), TIMEOUT)
    assert [e.rel_path for batch in calls for e in batch] == ["b.py", "c.py"]
    watcher.stop()
    await asyncio.wait_for(task, TIMEOUT)


# The inotify watch limit, for real: a child process in a new user namespace (where it
# may set its own limit, /proc/sys/user/max_inotify_watches) watches a tree that needs
# more watches than the limit allows, and must fall back to polling.
FALLBACK = """
import asyncio, json, os, sys
from pathlib import Path
from tandem.core.ignore import IgnoreRules
from tandem.infra.watcher import FolderWatcher

root, outer_namespace = Path(sys.argv[1]), sys.argv[2]
if os.readlink("/proc/self/ns/user") == outer_namespace:
    sys.exit("refusing to lower the watch limit outside a new user namespace")
Path("/proc/sys/user/max_inotify_watches").write_text("10\\n")

async def main():
    seen, arrived = [], asyncio.Event()
    def on_changes(events):
        seen.extend(e.rel_path for e in events)
        arrived.set()
    watcher = FolderWatcher(root, IgnoreRules.load(root), poll_delay_ms=50)
    task = asyncio.create_task(watcher.run(on_changes))
    await asyncio.wait_for(watcher.ready.wait(), 10)
    (root / "src" / "d7" / "new.py").write_text("x")
    await asyncio.wait_for(arrived.wait(), 10)
    watcher.stop()
    await task
    print(json.dumps({"degraded": watcher.degraded_reason, "seen": seen}))

asyncio.run(main())
"""


def test_watch_limit_falls_back_to_polling(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed")
    make_tree(tmp_path, [f"src/d{i}/" for i in range(30)] + ["node_modules/x/"])
    limit_file = Path("/proc/sys/user/max_inotify_watches")
    outer_limit = limit_file.read_text()
    outer_namespace = os.readlink("/proc/self/ns/user")
    command = ["unshare", "--user", "--map-root-user", sys.executable, "-c", FALLBACK]
    done = subprocess.run(
        [*command, str(tmp_path), outer_namespace], capture_output=True, text=True, timeout=60
    )
    assert limit_file.read_text() == outer_limit  # our own limit was never touched
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"no user namespaces here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["seen"] == ["src/d7/new.py"]
    assert "inotify watch limit was reached" in result["degraded"]
    assert "polling" in result["degraded"]
