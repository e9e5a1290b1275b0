"""One server run of the scale benchmarks, and what it measures.

* :func:`fresh_run`: a new data dir: initial indexing (time from ``initialize`` to the
  index being ready, peak RSS, ``workspaceState`` latency while indexing), context
  assembly on the warm index, and steady-state memory with documents open;
* :func:`warm_run`: the same data dir again: start to the first answered
  ``previewContext``, files re-read, then churn (``git checkout`` of the other branch);
* :func:`floor`: reading and tokenizing the same files once, in this process.

Churn is consistent when ``workspaceState`` shows the new HEAD, ``previewContext``
finds the churn markers of the first and last rewritten files, and the server's own
index file holds the new content of every rewritten file (checked read-only).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.index_scale import phase_floor
from bench.server_run import Poller, Server, index_ready, serve
from bench.workspaces import CHURN_BRANCH, MAIN_BRANCH, Workspace
from lsprotocol import types
from tests.support.gitrepo import git
from tests.support.lsp import uri

from tandem.core.context.index_write import content_hash
from tandem.core.ignore import IgnoreRules
from tandem.core.indexer import index_path
from tandem.core.settings import Settings
from tandem.infra.scan import read_text, scan

Prompt = tuple[str, str | None]
INDEX_TIMEOUT = 600.0
CHURN_TIMEOUT = 120.0
EDITS_PER_DOCUMENT = 3


@dataclass
class FreshResult:
    files: int
    index_s: float
    peak_rss_mb: float
    workers_peak_mb: float
    """Index worker processes' RSS, summed, at its highest sample while indexing."""
    state_ms_during_indexing: list[float]
    preview_ms: list[float]
    memory_rss_mb: float | None = None
    """RSS of the server and its workers, summed (shared pages counted in each)."""
    memory_pss_mb: float | None = None
    """PSS of the server and its workers, summed: what they use together."""
    memory_peak_mb: float | None = None
    open_documents: int = 0


@dataclass
class WarmResult:
    first_preview_s: float
    files_read: int
    churn_s: list[float] = field(default_factory=list)
    revert_s: list[float] = field(default_factory=list)
    churn_files_consistent: list[int] = field(default_factory=list)
    state_ms_during_churn: list[float] = field(default_factory=list)


# -- the floor -------------------------------------------------------------------------


def tracked_files(folder: Path) -> list[Path]:
    """The files the server tracks in ``folder`` (the same scan and ignore rules)."""
    limit = Settings().context.maxFileBytes
    result = scan(folder, IgnoreRules.load(folder), limit)
    return [folder / rel for rel in sorted(result.files)]


def floor(folder: Path) -> float:
    """Seconds to read and tokenize every tracked file once (``index_scale``'s floor)."""
    files = tracked_files(folder)
    return float(phase_floor(files, folder, folder)["seconds"])


# -- a fresh data dir --------------------------------------------------------------------


async def fresh_run(
    ws: Workspace, data_dir: Path, prompts: list[Prompt], repeats: int, open_docs: int
) -> FreshResult:
    async with serve(ws.path, data_dir) as server:
        poller = Poller(server)
        ready = await poller.until(index_ready, INDEX_TIMEOUT)
        result = FreshResult(
            files=int(poller.last["folders"][0]["trackedFiles"]),
            index_s=ready - server.initialize_sent,
            peak_rss_mb=server.memory_mb("VmHWM"),
            workers_peak_mb=poller.children_peak_mb,
            state_ms_during_indexing=[s * 1000 for s in poller.latencies],
            preview_ms=await previews(server, ws, prompts, repeats),
        )
        if open_docs:
            memory = await open_and_edit(server, ws, open_docs)
            result.memory_rss_mb, result.memory_pss_mb = memory
            result.memory_peak_mb = server.memory_mb("VmHWM")
            result.open_documents = open_docs
    return result


async def preview(server: Server, ws: Workspace, prompt: Prompt) -> tuple[float, Any]:
    text, focus = prompt
    args: dict[str, Any] = {"prompt": text}
    if focus is not None:
        args["uri"] = uri(ws.path / focus)
    sent = time.monotonic()
    answer = await server.command("tandem.previewContext", args)
    return time.monotonic() - sent, answer


async def previews(
    server: Server, ws: Workspace, prompts: list[Prompt], repeats: int
) -> list[float]:
    """Milliseconds per ``previewContext``: each prompt ``repeats`` times, after one warm-up."""
    await preview(server, ws, prompts[0])
    samples = []
    for _ in range(repeats):
        for prompt in prompts:
            seconds, _ = await preview(server, ws, prompt)
            samples.append(seconds * 1000)
    return samples


async def open_and_edit(server: Server, ws: Workspace, count: int) -> tuple[float, float]:
    """Open ``count`` real files, edit each a few times, let the server settle; RSS and
    PSS of the server and its child processes (the context worker), each summed."""
    docs = [p for p in tracked_files(ws.path) if p.suffix == ".py"]
    chosen = docs[:: max(1, len(docs) // count)][:count]
    for path in chosen:
        doc = server.session.open(path, path.read_text(encoding="utf-8", errors="replace"))
        for version in range(2, 2 + EDITS_PER_DOCUMENT):
            server.session.edit(doc, version, (0, 0), (0, 0), f"# edit {version}\n")
    poller = Poller(server)
    await poller.until(lambda st: len(st["openDocuments"]) == len(chosen), 60)
    await asyncio.sleep(1.0)  # past the 0.3 s re-index debounce of the last edits
    await poller.until(index_ready, INDEX_TIMEOUT)
    rss = server.memory_mb("VmRSS") + server.children_rss_mb()  # the context worker too
    pss = server.pss_mb()
    for path in chosen:
        server.session.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri(path)))
        )
    await poller.until(lambda st: not st["openDocuments"], 60)
    await asyncio.sleep(0.2)  # the closed files are read back from disk after 0.05 s
    await poller.until(index_ready, INDEX_TIMEOUT)
    return rss, pss


# -- the same data dir again -------------------------------------------------------------


async def warm_run(ws: Workspace, data_dir: Path, prompt: Prompt, churns: int) -> WarmResult:
    async with serve(ws.path, data_dir) as server:
        await Poller(server).until(index_ready, INDEX_TIMEOUT)
        await preview(server, ws, prompt)
        result = WarmResult(time.monotonic() - server.spawned, sum(server.files_read()))
        for _ in range(churns):
            await churn(server, ws, data_dir, result)
    return result


async def churn(server: Server, ws: Workspace, data_dir: Path, result: WarmResult) -> None:
    """Check out the churn branch (timed until consistent), then back to main."""
    stop = asyncio.Event()
    poller = Poller(server)
    background = asyncio.create_task(poller.run(stop))
    try:
        seconds, consistent = await switch(server, ws, data_dir, CHURN_BRANCH, poller)
        result.churn_s.append(seconds)
        result.churn_files_consistent.append(consistent)
        result.state_ms_during_churn += [s * 1000 for s in poller.latencies]
        back, _ = await switch(server, ws, data_dir, MAIN_BRANCH, poller)
        result.revert_s.append(back)
    finally:
        stop.set()
        await background


async def switch(
    server: Server, ws: Workspace, data_dir: Path, branch: str, poller: Poller
) -> tuple[float, int]:
    """``git checkout branch``; seconds until the server is consistent with it."""
    started = time.monotonic()
    await asyncio.to_thread(git, ws.path, "checkout", "-q", branch)
    head = git(ws.path, "rev-parse", "HEAD").strip()
    expected = await asyncio.to_thread(expected_hashes, ws)
    present = branch == CHURN_BRANCH
    deadline = started + CHURN_TIMEOUT
    while time.monotonic() < deadline:
        consistent = await asyncio.to_thread(indexed_as_on_disk, data_dir, ws, expected)
        # the cheap checks first: previews compete with the server's indexing for CPU
        if consistent == len(expected) and await looks_consistent(
            server, ws, poller, head, present
        ):
            return time.monotonic() - started, consistent
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the index did not follow the checkout of {branch} in {CHURN_TIMEOUT} s")


async def looks_consistent(
    server: Server, ws: Workspace, poller: Poller, head: str, present: bool
) -> bool:
    """The new HEAD and a ready index in ``workspaceState``; the churn markers of the
    first and last rewritten files found by ``previewContext`` (or gone, on main)."""
    state = poller.last
    if state is None or state["folders"][0]["head"] != head or not index_ready(state):
        return False
    for rel in (ws.churned[0], ws.churned[-1]):
        name = ws.churn_marker(rel)
        _, answer = await preview(server, ws, (f"Where is {name} defined?", None))
        if (f"def {name}(" in str(answer["messages"])) != present:
            return False
    return True


def expected_hashes(ws: Workspace) -> dict[str, str]:
    """Content hashes of the rewritten files as they are on disk now."""
    out = {}
    for rel in ws.churned:
        text = read_text(ws.path / rel, Settings().context.maxFileBytes)
        if text is not None:
            out[rel] = content_hash(text)
    return out


def indexed_as_on_disk(data_dir: Path, ws: Workspace, expected: dict[str, str]) -> int:
    """How many rewritten files the server's index holds with their current content."""
    db = index_path(data_dir, ws.path.resolve())
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = dict(conn.execute("SELECT path, hash FROM files").fetchall())
    finally:
        conn.close()
    return sum(rows.get(rel) == digest for rel, digest in expected.items())
