"""Load: ten chat sessions streaming at once while the editor keeps typing.

The real server (``python -m tandem serve`` over stdio, driven by pytest-lsp's client
with VS Code's capabilities) runs on a git repository made of a few hundred modules of
the interpreter's standard library plus one 20,000-line module, which is open in the
editor. The model is ``bench/sse_stub.py`` in its own process: every answer is
``--chunks`` SSE pieces ``--chunk-delay`` seconds apart (50 x 5 ms by default).

The run, after indexing and one warm-up turn per session:

1. **idle**: the edit stream alone for ``--idle`` seconds;
2. **load**: ``--sessions`` sessions each send ``tandem.chat`` turns back to back for
   ``--duration`` seconds, while the edit stream goes on;
3. **idle again**: the edit stream alone, to see the server settle back.

The edit stream sends, every 20 ms, a one-character ``didChange`` to the open document
followed by a ``tandem.status`` request; pygls handles messages in the order they
arrive, so the answer cannot come before the edit was applied. The time from sending
the edit to that answer is the edit's handling time: what a keystroke waits for behind
everything else the server is doing. The server's RSS (``/proc/PID/status`` VmRSS) is
sampled every second. At the end every session's transcript is read back: each turn
answered must be stored exactly once, question and answer both ``complete``.

    python bench/load.py                  # 60 s of load, about two minutes in all
    python bench/load.py --quick          # a few seconds (the e2e test runs this)
    python bench/load.py --duration 300 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.chat_overhead import commit, initialize, launch, machine, wait_indexed  # noqa: E402
from bench.load_checks import (  # noqa: E402
    Memory,
    StoreCheck,
    Tally,
    check_transcript,
    log_problems,
    p95_unchanged,
    rss_kb,
    spread_ms,
)
from bench.typing_bench import document  # noqa: E402
from lsprotocol import types  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from pytest_lsp.client import make_test_lsp_client  # noqa: E402
from tests.support.lsp import Session, plain, quick_client  # noqa: E402

PACKAGES = ("json", "email", "asyncio", "importlib", "http", "urllib", "logging", "concurrent")
"""Stdlib packages copied after the top-level modules, until the file count is reached."""
BIG_DOC = "big/decimal_big.py"
PROMPTS = (
    "How does the decimal context decide the rounding mode?",
    "Where is the JSON encoder's string escaping done?",
    "What does asyncio do when a task is cancelled while awaiting?",
    "Explain how email headers are folded.",
    "Which logging handler should I use for rotating files?",
)
RSS_EVERY = 1.0
log = logging.getLogger("bench.load")
STUB_START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Config:
    duration: float = 60.0
    idle: float = 15.0
    warmup: float = 10.0
    """Seconds of load before the RSS baseline is taken."""
    sessions: int = 10
    chunks: int = 50
    chunk_delay: float = 0.005
    edit_every: float = 0.02
    doc_lines: int = 20_000
    files: int = 300
    budget: int | None = None
    """``context.maxBudgetTokens``; None: the default (the model's window)."""

    @classmethod
    def quick(cls) -> Config:
        return cls(duration=6.0, idle=1.0, warmup=2.0, files=40)


@dataclass
class Results:
    config: Config
    info: dict[str, Any] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    store: StoreCheck = field(default_factory=StoreCheck)
    memory: Memory = field(default_factory=Memory)
    edits: dict[str, list[float]] = field(default_factory=dict)
    edit_errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    stub: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return self.tally.errors + self.edit_errors + self.info.get("shown_errors", [])


# -- the workspace ------------------------------------------------------------------


def stdlib_modules(files: int) -> list[tuple[Path, Path]]:
    """(source, relative path) of ``files`` stdlib modules: top-level ones, then packages."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    found = sorted(stdlib.glob("*.py"))
    for package in PACKAGES:
        found += sorted(p for p in (stdlib / package).rglob("*.py") if "test" not in p.parts)
    return [(p, p.relative_to(stdlib)) for p in found[:files]]


def make_workspace(dest: Path, config: Config) -> Path:
    """A committed git repository: stdlib modules and the big module."""
    for source, rel in stdlib_modules(config.files):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / rel)
    big = dest / BIG_DOC
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_text(document(config.doc_lines))
    return commit(dest)


# -- the processes --------------------------------------------------------------------


@asynccontextmanager
async def sse_stub(config: Config) -> AsyncIterator[str]:
    """``bench/sse_stub.py`` as a process; yields its base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "sse_stub.py"),
        "--chunks",
        str(config.chunks),
        "--delay",
        str(config.chunk_delay),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), STUB_START_TIMEOUT)
        yield line.decode().strip()
    finally:
        proc.terminate()
        await proc.wait()


async def stub_stats(url: str) -> dict[str, int]:
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /_stats HTTP/1.1\r\nHost: stub\r\n\r\n")
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
    body = await reader.readexactly(length)
    writer.close()
    return dict(json.loads(body))


@asynccontextmanager
async def tandem_server(
    folder: Path, data_dir: Path, url: str, config: Config, tally: Tally
) -> AsyncIterator[tuple[Session, int]]:
    """``python -m tandem serve`` at its default log level; yields the session and the
    server's pid."""
    client = make_test_lsp_client()
    quick_client(client)
    settings: dict[str, Any] = {"model": {"baseUrl": url, "name": "stub-model"}}
    if config.budget is not None:
        settings["context"] = {"maxBudgetTokens": config.budget}
    client._configuration[""]["tandem"] = settings

    @client.feature("tandem/chatDelta")
    def on_delta(params: Any) -> None:
        delta = plain(params)
        tally.on_delta(delta["turnId"], delta["delta"])

    for method in ("tandem/chatStatus", "tandem/indexStatus"):
        client.feature(method)(lambda _: None)
    await launch(client, data_dir)
    await initialize(client, folder, settings)
    assert client._server is not None
    try:
        yield Session(client, data_dir), client._server.pid
    finally:
        await client.shutdown_session()


# -- the drivers --------------------------------------------------------------------


async def chat_turn(session: Session, session_id: str, n: int, tally: Tally) -> None:
    prompt = f"{PROMPTS[n % len(PROMPTS)]} (turn {n})"
    tally.attempts[session_id] += 1
    started = time.monotonic()
    try:
        result = await session.command("tandem.chat", {"prompt": prompt, "sessionId": session_id})
    except JsonRpcException as error:
        tally.errors.append(f"turn {n} of session {session_id}: {error}")
        return
    tally.answered(session_id, plain(result), time.monotonic() - started)


async def chat_until(session: Session, session_id: str, until: float, tally: Tally) -> None:
    """Turns back to back; the last one starts before ``until`` and is let finish."""
    n = 1
    while time.monotonic() < until:
        await chat_turn(session, session_id, n, tally)
        n += 1


@dataclass
class EditStream:
    """One-character edits to an open document, each followed by a request ordered
    after it; the time to that request's answer is the edit's handling time."""

    session: Session
    doc_uri: str
    lines: int
    errors: list[str]
    version: int = 1
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    async def run(self, seconds: float, every: float) -> list[float]:
        """Edits on a fixed clock (an open loop: a slow answer does not slow the typing)."""
        start, probes = time.monotonic(), []
        for n in range(int(seconds / every)):
            await asyncio.sleep(max(0.0, start + n * every - time.monotonic()))
            probes.append(asyncio.create_task(self.probe()))
        done = await asyncio.gather(*probes)
        return [seconds for seconds in done if seconds is not None]

    async def probe(self) -> float | None:
        self.version += 1
        line = self.rng.randrange(self.lines)
        sent = time.monotonic()
        self.session.edit(self.doc_uri, self.version, (line, 0), (line, 0), "x")
        try:
            await self.session.command("tandem.status")
        except JsonRpcException as error:
            self.errors.append(f"edit {self.version}: {error}")
            return None
        return time.monotonic() - sent


async def sample_rss(pid: int, memory: Memory, stop: asyncio.Event) -> None:
    while not stop.is_set():
        kb = rss_kb(pid)
        if kb is not None:
            memory.samples.append((time.monotonic(), kb))
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_EVERY)


# -- the run --------------------------------------------------------------------------


async def measure(folder: Path, data_dir: Path, config: Config) -> Results:
    results = Results(config)
    async with sse_stub(config) as url:
        server = tandem_server(folder, data_dir, url, config, results.tally)
        async with server as (session, pid):
            log.info("server %d started; indexing", pid)
            await while_serving(session, drive(session, pid, folder, results))
            shown = [
                m.message for m in session.client.messages if m.type == types.MessageType.Error
            ]
            results.info["shown_errors"] = shown
        results.stub = await stub_stats(url)
    results.log_errors = log_problems(data_dir / "server.log")
    return results


async def drive(session: Session, pid: int, folder: Path, results: Results) -> None:
    results.info["index_seconds"] = round(await wait_indexed(session), 2)
    await phases(session, pid, folder / BIG_DOC, results)
    await check_store(session, results)


async def while_serving(session: Session, work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``, failing at once if the server exits meanwhile (the client would
    otherwise wait for its answers forever)."""
    server = session.client._server
    assert server is not None
    running = asyncio.ensure_future(work)
    exited = asyncio.ensure_future(server.wait())
    await asyncio.wait({running, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not running.done():
        running.cancel()
        raise RuntimeError(f"the server exited with code {exited.result()} mid-run")
    exited.cancel()
    running.result()


async def new_sessions(session: Session, count: int) -> list[str]:
    ids = []
    for n in range(count):
        created = await session.command("tandem.newSession", {"title": f"load {n}"})
        ids.append(str(plain(created)["sessionId"]))
    return ids


async def phases(session: Session, pid: int, big: Path, results: Results) -> None:
    config, tally = results.config, results.tally
    edits = EditStream(session, session.open(big), config.doc_lines, results.edit_errors)
    ids = await new_sessions(session, config.sessions)
    log.info("warm-up: one turn in each of %d sessions", len(ids))
    await asyncio.gather(*(chat_turn(session, sid, 0, tally) for sid in ids))
    log.info("idle: edits alone for %g s", config.idle)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, results.memory, stop))
    results.edits["idle"] = await edits.run(config.idle, config.edit_every)
    memory = results.memory
    memory.load_start, memory.warmup = time.monotonic(), config.warmup
    until = memory.load_start + config.duration
    log.info("load: %d sessions and the edits for %g s", len(ids), config.duration)
    chats = [asyncio.create_task(chat_until(session, sid, until, tally)) for sid in ids]
    results.edits["load"] = await edits.run(config.duration, config.edit_every)
    await asyncio.gather(*chats)
    memory.load_end = time.monotonic()
    results.info["load_seconds"] = round(memory.load_end - memory.load_start, 1)
    log.info("idle again: edits alone for %g s", config.idle)
    results.edits["idle after"] = await edits.run(config.idle, config.edit_every)
    stop.set()
    await sampler


async def check_store(session: Session, results: Results) -> None:
    log.info("reading back %d transcripts", len(results.tally.turns))
    for session_id, turn_ids in results.tally.turns.items():
        transcript = plain(await session.command("tandem.getTranscript", {"sessionId": session_id}))
        check_transcript(transcript["messages"], turn_ids, results.store)


async def run_load(work: Path, config: Config) -> Results:
    """Build the workspace under ``work`` and run the benchmark (the e2e test's entry)."""
    folder = await asyncio.to_thread(make_workspace, work / "ws", config)
    results = await measure(folder, work / "data", config)
    results.info["files"] = config.files + 1
    results.info["machine"] = machine()
    return results


# -- the report ----------------------------------------------------------------------


def summarize(results: Results) -> dict[str, Any]:
    tally = results.tally
    per_session = [len(turns) for turns in tally.turns.values()]
    edits = {phase: spread_ms(samples) for phase, samples in results.edits.items()}
    return {
        "turns_sent": tally.sent,
        "turns_answered": sum(per_session),
        "turns_per_session": [min(per_session, default=0), max(per_session, default=0)],
        "turns_stored": results.store.stored,
        "store_problems": len(results.store.problems),
        "errors": len(results.errors),
        "log_errors": len(results.log_errors),
        "turn_seconds": spread_ms(tally.durations),
        "edits_ms": edits,
        "edit_p95_unchanged": p95_unchanged(edits["idle"], edits["load"]),
        "memory": results.memory.summary(),
        "stub": results.stub,
    }


def table(summary: dict[str, Any], results: Results) -> str:
    config, info, m = results.config, results.info, summary["memory"]
    host = info["machine"]
    turn = summary["turn_seconds"]
    stub = summary["stub"]
    lines = [
        f"Machine: {host['cpu']}, {host['cores']} cores, Python {host['python']}, "
        f"load average {host['load_1m']} at the end",
        f"Workspace: {info['files']} files (stdlib modules + a {config.doc_lines:,}-line open "
        f"module), indexed in {info['index_seconds']} s",
        f"{config.sessions} sessions for {info['load_seconds']} s; answers of {config.chunks} "
        f"chunks {config.chunk_delay * 1000:g} ms apart; an edit every "
        f"{config.edit_every * 1000:g} ms; budget {config.budget or 'default'}",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| turns sent (incl. {config.sessions} warm-up) | {summary['turns_sent']} |",
        f"| turns per session (min-max) | {'-'.join(map(str, summary['turns_per_session']))} |",
        f"| turns stored once, complete | {summary['turns_stored']} of "
        f"{summary['turns_answered']} |",
        f"| errors (client, store problems, server log) | {summary['errors']}, "
        f"{summary['store_problems']}, {summary['log_errors']} |",
        f"| turn time p50 / p95 (ms) | {turn['p50']} / {turn['p95']} |",
        f"| requests at the stub; mean / max body (KB) | {stub.get('chat')}; "
        f"{stub.get('bytes', 0) // max(1, stub.get('chat', 1)) // 1024} / "
        f"{stub.get('maxBytes', 0) // 1024} |",
        f"| server RSS (with its workers) after warm-up → end (MB) | {m.get('after_warmup_mb')} → "
        f"{m.get('end_mb')} ({m.get('growth_pct')} %) |",
        f"| server RSS max during load; after idle (MB) | {m.get('max_mb')}; "
        f"{m.get('after_idle_mb')} |",
        f"| server RSS at 0/25/50/75/100 % of the load after warm-up (MB) "
        f"| {' / '.join(map(str, m.get('quarters_mb', [])))} |",
    ]
    for phase, row in summary["edits_ms"].items():
        lines.append(
            f"| edit handling p50 / p95 / max (ms), {phase} ({row['n']} edits) "
            f"| {row['p50']} / {row['p95']} / {row['max']} |"
        )
    verdict = "yes" if summary["edit_p95_unchanged"] else "no"
    lines.append(f"| edit p95 under load unchanged (≤ 1.25x or +2 ms) | {verdict} |")
    return "\n".join(lines)


def examples(results: Results, limit: int = 5) -> str:
    found = results.errors + results.store.problems + results.log_errors
    return "\n".join(["", "First problems:", *found[:limit]]) if found else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds (CI)")
    parser.add_argument("--duration", type=float, help="seconds of chat load (default 60)")
    parser.add_argument("--idle", type=float, help="seconds of edits alone, before and after")
    parser.add_argument("--sessions", type=int, help="concurrent chat sessions (default 10)")
    parser.add_argument("--budget", type=int, help="context.maxBudgetTokens (default: none)")
    parser.add_argument("--json", type=Path, help="also write the summary and samples here")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    config = Config.quick() if args.quick else Config()
    given = {k: v for k in ("duration", "idle", "sessions", "budget") if (v := getattr(args, k))}
    config = replace(config, **given)
    with tempfile.TemporaryDirectory(prefix="tandem-load-") as tmp:
        results = asyncio.run(run_load(Path(tmp), config))
    summary = summarize(results)
    print(table(summary, results) + examples(results))
    if args.json:
        payload = {"config": asdict(config), "info": results.info, "summary": summary}
        samples = {"edits": results.edits, "rss": results.memory.series()}
        args.json.write_text(json.dumps({**payload, "samples": samples}, indent=2))
    clean = not (results.errors or results.store.problems or results.log_errors)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
