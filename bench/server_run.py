"""The real server for the scale benchmarks: ``python -m tandem serve`` over stdio.

Driven by pytest-lsp's client with VS Code's capabilities, minus dynamic registration
of file watching (nothing here would forward the editor's watcher events, so the server
watches the folder itself, as it does for editors without that capability). The server
logs at INFO to ``server.log`` in its data dir: the indexer's line ``index NAME: N files
read, M updated`` is how a run counts the files read from disk.

A :class:`Poller` sends ``tandem.workspaceState`` in a loop and keeps each answer's
latency; that loop is both how a run notices the index is ready and the measure of how
the server answers while it works.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import procfs
from bench.chat_overhead import capabilities
from lsprotocol import types
from pytest_lsp.client import make_test_lsp_client
from tests.support.lsp import Session, uri

ROOT = Path(__file__).resolve().parents[1]
POLL_INTERVAL = 0.02
PROFILE_ENV = "TANDEM_BENCH_PYSPY"
READ_LINE = re.compile(r"index (?P<name>\S+): (?P<read>\d+) files read, (?P<updated>\d+) updated")


@dataclass
class Server:
    session: Session
    pid: int
    spawned: float
    """``time.monotonic()`` just before the process was started."""
    initialize_sent: float
    """``time.monotonic()`` just before ``initialize`` was sent."""
    log: Path
    log_start: int
    """Size of the log when this server started: earlier lines are another run's."""

    async def command(self, name: str, args: Any = None) -> Any:
        return await self.session.command(name, args)

    def memory_mb(self, key: str = "VmRSS") -> float:
        """``VmRSS`` (now) or ``VmHWM`` (peak) of the server process, in MiB."""
        found = procfs.kb(self.pid, key)
        if found is None:
            raise RuntimeError(f"{key} missing from /proc/{self.pid}/status")
        return found / 1024

    def children_rss_mb(self) -> float:
        """``VmRSS`` of the server's child processes (its workers), summed, in MiB."""
        return procfs.children_kb(self.pid, "VmRSS") / 1024

    def pss_mb(self) -> float:
        """Proportional set size of the server and its child processes, summed, in MiB.

        RSS counts a page shared by several processes (the interpreter, libraries) once
        in each; PSS shares it out among them, so the sum is what they use together."""
        own = procfs.kb(self.pid, "Pss", "smaps_rollup") or 0
        return (own + procfs.children_kb(self.pid, "Pss", "smaps_rollup")) / 1024

    def files_read(self) -> list[int]:
        """Per indexing pass so far, how many files the indexer read from disk."""
        with open(self.log, "rb") as handle:
            handle.seek(self.log_start)
            text = handle.read().decode("utf-8", "replace")
        return [int(m["read"]) for m in READ_LINE.finditer(text)]


@asynccontextmanager
async def serve(folder: Path, data_dir: Path) -> AsyncIterator[Server]:
    client = make_test_lsp_client()
    for method in ("tandem/chatStatus", "tandem/chatDelta", "tandem/indexStatus"):
        client.feature(method)(lambda _: None)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(p for p in (str(ROOT / "server"), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir), "PYTHONPATH": path}
    log = data_dir / "server.log"
    log_start = log.stat().st_size if log.exists() else 0
    spawned = time.monotonic()
    await client.start_io(*_command(data_dir), "-v", "--log-file", str(log), env=env)
    assert client._server is not None
    folders = [types.WorkspaceFolder(uri=uri(folder), name=folder.name)]
    initialize_sent = time.monotonic()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(), workspace_folders=folders, root_uri=folders[0].uri
        )
    )
    try:
        yield Server(
            Session(client, data_dir), client._server.pid, spawned, initialize_sent, log, log_start
        )
    finally:
        await client.shutdown_session()


def _command(data_dir: Path) -> list[str]:
    """The server's command line; under ``py-spy record`` when :data:`PROFILE_ENV` names
    a folder (collapsed stacks, one file per server run; memory figures are then py-spy's)."""
    serve = [sys.executable, "-m", "tandem", "serve"]
    folder = os.environ.get(PROFILE_ENV)
    if not folder:
        return serve
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = Path(folder) / f"{data_dir.parent.name}-{time.monotonic_ns()}.txt"
    pyspy = Path(sys.executable).with_name("py-spy")
    return [
        str(pyspy),
        "record",
        "--format",
        "raw",
        "--threads",
        "-r",
        "200",
        "-o",
        str(out),
        "--",
        *serve,
    ]


def index_ready(state: Any) -> bool:
    folders = state["folders"]
    return bool(folders) and folders[0].get("index") == "ready"


@dataclass
class Poller:
    """``tandem.workspaceState`` in a loop: every answer's latency, and the last state."""

    server: Server
    latencies: list[float] = field(default_factory=list)
    last: Any = None
    children_peak_mb: float = 0.0
    """The most the server's child processes (index workers) held at once, as sampled."""

    async def until(self, done: Callable[[Any], bool], timeout: float) -> float:
        """Poll until ``done(state)``; returns the monotonic time of that answer."""
        deadline = time.monotonic() + timeout
        while True:
            sent = time.monotonic()
            self.last = await self.server.command("tandem.workspaceState")
            answered = time.monotonic()
            self.latencies.append(answered - sent)
            self.children_peak_mb = max(self.children_peak_mb, self.server.children_rss_mb())
            if done(self.last):
                return answered
            if answered > deadline:
                raise TimeoutError(f"state never matched in {timeout} s; last: {self.last}")
            await asyncio.sleep(POLL_INTERVAL)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set (a background load of small requests)."""
        while not stop.is_set():
            sent = time.monotonic()
            self.last = await self.server.command("tandem.workspaceState")
            self.latencies.append(time.monotonic() - sent)
            await asyncio.sleep(POLL_INTERVAL)
