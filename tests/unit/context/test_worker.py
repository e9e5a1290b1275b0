"""Ranking and assembly in the context worker process: the same answers as in-process,
the index followed as it changes, and a worker that dies costs no request."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tandem.core.context.assemble import Budget, BufferView, ContextRequest
from tandem.core.context.index import WorkspaceIndex
from tandem.core.context.ranking import Signals
from tandem.core.context.worker import AssembleJob, ContextRunner, found_chunks, run_assemble
from tandem.core.priority import NICENESS

CONFIG = 'def parse_config(path):\n    """Read the config."""\n    return open(path).read()\n'
APP = "from config import parse_config\n\n\ndef main():\n    return parse_config('x.toml')\n"
PROMPT = "where is parse_config defined?"
BUDGET = Budget(context_window=16_000, max_output=1_000, margin=200)


@pytest.fixture
def index(tmp_path: Path) -> WorkspaceIndex:
    index = WorkspaceIndex(tmp_path / "data" / "index.sqlite3")
    index.update_file("config.py", CONFIG, 1, len(CONFIG))
    index.update_file("app.py", APP, 1, len(APP))
    yield index
    index.close()


@pytest.fixture
async def runner(tmp_path: Path) -> AsyncIterator[ContextRunner]:
    thread = ThreadPoolExecutor(1)
    runner = ContextRunner(tmp_path / "tiktoken", thread, processes=True)
    yield runner
    await runner.close()
    thread.shutdown()


def paths(found: list) -> list[tuple[str, int, str]]:
    return [(ranked.path, ranked.start_line, record.text) for ranked, record in found]


def worker_pid(runner: ContextRunner) -> int:
    worker = runner._worker
    assert worker is not None and worker.alive
    return worker.child.pid


async def test_the_worker_ranks_as_this_process_does(
    index: WorkspaceIndex, runner: ContextRunner
) -> None:
    signals = Signals(active_path="app.py", open_paths=["app.py"])
    found = await runner.rank(index, PROMPT, signals, 10)
    assert paths(found) == paths(found_chunks(index, PROMPT, signals, 10))
    assert found[0][0].path == "config.py" and "Read the config." in found[0][1].text
    pid = worker_pid(runner)
    assert pid != os.getpid()
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, mine + NICENESS)  # keystrokes first


async def test_the_worker_follows_the_index_as_it_changes(
    index: WorkspaceIndex, runner: ContextRunner
) -> None:
    await runner.rank(index, PROMPT, None, 10)
    renamed = CONFIG.replace("parse_config", "load_settings")
    index.update_file("config.py", renamed, 2, len(renamed))
    found = await runner.rank(index, "where is load_settings defined?", None, 10)
    assert found and "def load_settings" in found[0][1].text
    assert not any("def parse_config" in record.text for _, record in found)


async def test_an_index_opened_again_is_read_afresh(tmp_path: Path, runner: ContextRunner) -> None:
    db = tmp_path / "data" / "again.sqlite3"
    first = WorkspaceIndex(db)
    first.update_file("config.py", CONFIG, 1, len(CONFIG))
    assert await runner.rank(first, PROMPT, None, 10)
    first.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    second = WorkspaceIndex(db)  # same path and generation, other content
    second.update_file("other.py", APP, 1, len(APP))
    found = await runner.rank(second, PROMPT, None, 10)
    second.close()
    assert [ranked.path for ranked, _ in found] == ["other.py"]


async def test_assembly_in_the_worker_is_the_same_request(
    runner: ContextRunner, tmp_path: Path
) -> None:
    request = ContextRequest(
        prompt="what does main do?",
        buffers=[BufferView("app.py", APP + "# unsaved\n", dirty=True)],
        sent_snapshots={"config.py": "0" * 64},
    )
    job = AssembleJob(request, BUDGET, "o200k_base", on_disk={"config.py": CONFIG})
    remote = await runner.assemble(job)
    local = run_assemble(job, runner.counters)
    assert remote.messages == local.messages and remote.total_tokens == local.total_tokens
    assert "# unsaved" in remote.messages[-1]["content"]


async def test_a_worker_that_dies_costs_no_request(
    index: WorkspaceIndex, runner: ContextRunner
) -> None:
    expected = paths(found_chunks(index, PROMPT, None, 10))
    assert paths(await runner.rank(index, PROMPT, None, 10)) == expected
    dead = worker_pid(runner)
    os.kill(dead, signal.SIGKILL)
    assert paths(await runner.rank(index, PROMPT, None, 10)) == expected  # answered
    await asyncio.sleep(0.2)
    assert paths(await runner.rank(index, PROMPT, None, 10)) == expected
    assert worker_pid(runner) != dead  # a new worker took over
    assert not runner.in_process


async def test_the_thread_alone_when_processes_are_off(
    index: WorkspaceIndex, tmp_path: Path
) -> None:
    thread = ThreadPoolExecutor(1)
    runner = ContextRunner(tmp_path / "tiktoken", thread, processes=False)
    found = await runner.rank(index, PROMPT, None, 10)
    assert runner.in_process and runner._worker is None
    assert paths(found) == paths(found_chunks(index, PROMPT, None, 10))
    thread.shutdown()
