"""Chat latency: what Tandem adds between the editor and the model.

Two numbers, each side by side with the same request sent straight through the
``openai`` client (the floor any client pays):

* **first byte**: from sending ``tandem.chat`` (or calling
  ``chat.completions.create``) to the first byte of the model request at the stub.
  Tandem's share is storing the question, assembling the context (retrieval over the
  workspace index, token counting) and building the request.
* **per chunk**: from the stub writing a streamed chunk to the client holding it: a
  ``tandem/chatDelta`` notification at the LSP client, or a chunk from the ``openai``
  stream. Matched by text: a piece has arrived with the first notification that
  completes it (pieces that reach Tandem's loop together go out as one).

The model is the test suite's HTTP stub on 127.0.0.1, running as a thread of this
process; it stamps each request's first line and each chunk write with
``time.monotonic()``, the same clock (``CLOCK_MONOTONIC``) the client side reads, so
the two sides compare directly. The server is the real ``python -m tandem serve`` over
stdio, driven by pytest-lsp's client with VS Code's capabilities, on a git repository
made of a copy of the interpreter's standard library (2,000+ files), indexed and warmed
up before anything is timed. Each repetition is one Tandem turn (with an open file as
the active editor) followed by the exact request body that turn sent, replayed through
``openai.AsyncOpenAI``; both get the same scripted answer of ``--chunks`` pieces,
``--chunk-delay`` seconds apart.

All turns run in one session, as a user's conversation does, each with a question not
asked before, so later turns carry more history; the report also compares the first and
last turns. ``--fresh-sessions`` starts a new session before each turn instead, leaving
the cost that does not depend on history.

    python bench/chat_overhead.py                    # stdlib workspace, about a minute
    python bench/chat_overhead.py --quick            # 50 generated files, seconds (CI)
    python bench/chat_overhead.py --fresh-sessions   # no history
    python bench/chat_overhead.py --json out.json    # also write every sample

Targets: Tandem adds under 30 ms before the first byte and under 5 ms per chunk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.prompts import STDLIB  # noqa: E402
from bench.report import percentile  # noqa: E402
from lsprotocol import types  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402
from pytest_lsp import client_capabilities  # noqa: E402
from pytest_lsp.client import make_test_lsp_client  # noqa: E402
from tests.support.gitrepo import git  # noqa: E402
from tests.support.lsp import PROFILES, Session, plain, quick_client, uri  # noqa: E402
from tests.support.model_stub import ModelStub, Recorded, Reply  # noqa: E402

FIRST_BYTE_TARGET_MS = 30.0
PER_CHUNK_TARGET_MS = 5.0
INDEX_TIMEOUT = 900.0
GROWTH_TURNS = 5
"""The first and last this many turns are compared: history grows within a session."""
SKIPPED = {"__pycache__", "site-packages", "dist-packages", "lib-dynload"}
"""Compiled and third-party parts of the stdlib folder (``config-*`` too: a 45 MB .a)."""
STDLIB_FOCUS = "json/encoder.py"
QUICK_FOCUS = "pkg/module_0.py"
PROMPTS = (
    "How does the JSON encoder decide how to escape a string?",
    "Where does json.dumps handle objects it cannot serialize, and how do I add a type?",
    "Why would iterencode be faster than encode for large documents?",
    "Explain the role of the markers dict in the encoder.",
    "What changes if I pass check_circular=False?",
)
QUESTIONS = PROMPTS + tuple(text for text, _ in STDLIB)
"""Every turn asks something new (25 questions for the 22 turns of a default run), as a
user does: nothing is cached from an identical earlier question."""
CREATE_KEYS = {
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
}
"""Request keys ``chat.completions.create`` takes by name; others go in ``extra_body``."""


@dataclass(frozen=True)
class Config:
    quick: bool
    repetitions: int
    warmup: int
    chunks: int
    chunk_delay: float
    fresh_sessions: bool
    """Each turn in a new session (no history to replay) instead of one growing session."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Config:
        fresh = args.fresh_sessions
        if args.quick:
            return cls(True, args.repetitions or 3, 1, args.chunks or 10, 0.01, fresh)
        reps, chunks = args.repetitions or 20, args.chunks or 50
        return cls(False, reps, 2, chunks, args.chunk_delay, fresh)


@dataclass
class Sample:
    """One answer: its first-byte latency and each chunk's, in seconds."""

    first_byte: float
    chunks: list[float]


@dataclass
class Samples:
    tandem: list[Sample] = field(default_factory=list)
    direct: list[Sample] = field(default_factory=list)
    request_bytes: list[int] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)


# -- the workspace ------------------------------------------------------------------


def stdlib_workspace(dest: Path) -> Path:
    """A copy of the interpreter's standard library (with its tests), committed."""
    import sysconfig

    source = Path(sysconfig.get_paths()["stdlib"])

    def ignore(_: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIPPED or n.startswith("config-")}

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    return commit(dest)


def generated_workspace(dest: Path, files: int = 50) -> Path:
    """``files`` small Python modules, committed: enough for a CI smoke run."""
    for n in range(files):
        target = dest / "pkg" / f"module_{n}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        body = [f"def function_{n}_{k}(value):\n    return value * {k} + {n}\n" for k in range(8)]
        target.write_text(f'"""Module {n}."""\n\n\n' + "\n\n".join(body))
    return commit(dest)


def commit(folder: Path) -> Path:
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "workspace")
    return folder


def count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts)


# -- the server ---------------------------------------------------------------------


@asynccontextmanager
async def tandem_server(
    folder: Path, data_dir: Path, stub: ModelStub, arrivals: list[tuple[float, str, str]]
) -> AsyncIterator[Session]:
    """``python -m tandem serve`` over stdio, at its default log level; each
    ``tandem/chatDelta`` is appended to ``arrivals`` as (monotonic time, turn id, text)."""
    client = make_test_lsp_client()
    quick_client(client)
    settings = {"model": {"baseUrl": stub.url, "name": stub.model}}
    client._configuration[""]["tandem"] = settings

    @client.feature("tandem/chatDelta")
    def on_delta(params: Any) -> None:
        now = time.monotonic()
        delta = plain(params)
        arrivals.append((now, delta["turnId"], delta["delta"]))

    for method in ("tandem/chatStatus", "tandem/indexStatus"):
        client.feature(method)(lambda _: None)
    await launch(client, data_dir)
    await initialize(client, folder, settings)
    try:
        yield Session(client, data_dir)
    finally:
        await client.shutdown_session()


async def launch(client: Any, data_dir: Path) -> None:
    """``python -m tandem serve`` over stdio for ``client``, at its default log level,
    with its data (and ``server.log``) in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(p for p in (str(ROOT / "server"), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir), "PYTHONPATH": path}
    log = str(data_dir / "server.log")
    await client.start_io(sys.executable, "-m", "tandem", "serve", "--log-file", log, env=env)


async def initialize(client: Any, folder: Path, settings: dict[str, Any]) -> None:
    """``initialize`` on the one folder, with ``settings`` as the editor's."""
    folders = [types.WorkspaceFolder(uri=uri(folder), name=folder.name)]
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            workspace_folders=folders,
            root_uri=folders[0].uri,
            initialization_options={"tandem": settings},
        )
    )


def capabilities() -> types.ClientCapabilities:
    """VS Code's, minus dynamic registration of file watching: nothing here would
    forward the watcher events, so the server watches the folder itself."""
    caps = client_capabilities(PROFILES["vscode"])
    watched = caps.workspace.did_change_watched_files if caps.workspace else None
    if watched is not None:
        watched.dynamic_registration = False
    return caps


async def wait_indexed(session: Session) -> float:
    """Seconds until the first folder's index is ready."""
    start = time.monotonic()
    await session.wait_state(
        lambda st: bool(st["folders"]) and st["folders"][0].get("index") == "ready",
        timeout=INDEX_TIMEOUT,
    )
    return time.monotonic() - start


# -- one answer each way ------------------------------------------------------------


def script_answer(stub: ModelStub, config: Config) -> int:
    """Queue the scripted answer; returns how many chat requests came before it."""
    stub.script(Reply(chunks=pieces(config), delay_per_chunk=config.chunk_delay))
    return len(stub.chat_requests())


def pieces(config: Config) -> list[str]:
    return [f"word{n} " for n in range(config.chunks)]


def first_byte(recorded: Recorded, sent: float) -> float:
    if recorded.started is None:
        raise RuntimeError("the stub did not stamp the request's arrival")
    return recorded.started - sent


def chunk_latencies(
    arrivals: list[tuple[float, str, str]], recorded: Recorded, pieces: list[str]
) -> list[float]:
    """Per piece the stub wrote: from its write to the arrival of the text that
    completes it. Pieces that reach Tandem's loop together go out as one
    ``tandem/chatDelta``, so an arrival may complete several."""
    if len(recorded.chunks_sent) != len(pieces):
        raise RuntimeError(f"the stub wrote {len(recorded.chunks_sent)} of {len(pieces)} pieces")
    if "".join(text for _, text in arrivals) != "".join(pieces):
        raise RuntimeError("the text that arrived is not the text the stub wrote")
    latencies, held, pending = [], 0, iter(zip(pieces, recorded.chunks_sent, strict=True))
    for at, text in arrivals:
        held += len(text)
        while held > 0:
            piece, written = next(pending)
            held -= len(piece)
            latencies.append(at - written)
    return latencies


async def tandem_turn(
    session: Session,
    stub: ModelStub,
    config: Config,
    args: dict[str, Any],
    arrivals: list[tuple[float, str, str]],
) -> tuple[Sample, Recorded, dict[str, Any]]:
    before = script_answer(stub, config)
    arrivals.clear()
    sent = time.monotonic()
    result = await session.command("tandem.chat", args)
    if result["status"] != "complete":
        raise RuntimeError(f"the turn ended {result['status']}: {result['error']}")
    recorded = stub.chat_requests()[before]
    mine = [(at, text) for at, turn, text in arrivals if turn == result["turnId"]]
    latencies = chunk_latencies(mine, recorded, pieces(config))
    return Sample(first_byte(recorded, sent), latencies), recorded, result


async def direct_turn(openai: AsyncOpenAI, stub: ModelStub, config: Config, body: Any) -> Sample:
    """The same request body through the ``openai`` client alone."""
    named = {k: v for k, v in body.items() if k in CREATE_KEYS}
    extra = {k: v for k, v in body.items() if k not in CREATE_KEYS} or None
    before = script_answer(stub, config)
    arrivals: list[tuple[float, str]] = []
    sent = time.monotonic()
    stream = await openai.chat.completions.create(**named, extra_body=extra)
    async for chunk in stream:
        now = time.monotonic()
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append((now, chunk.choices[0].delta.content))
    recorded = stub.chat_requests()[before]
    return Sample(first_byte(recorded, sent), chunk_latencies(arrivals, recorded, pieces(config)))


async def repetition(
    session: Session,
    openai: AsyncOpenAI,
    stub: ModelStub,
    config: Config,
    args: dict[str, Any],
    arrivals: list[tuple[float, str, str]],
) -> tuple[Sample, Sample, Recorded, dict[str, Any]]:
    tandem, recorded, result = await tandem_turn(session, stub, config, args, arrivals)
    direct = await direct_turn(openai, stub, config, recorded.body)
    return tandem, direct, recorded, result


# -- the run --------------------------------------------------------------------------


async def measure(
    folder: Path, focus: Path, data_dir: Path, config: Config
) -> tuple[Samples, dict[str, Any]]:
    samples = Samples()
    arrivals: list[tuple[float, str, str]] = []
    with ModelStub() as stub:
        openai = AsyncOpenAI(base_url=stub.url, api_key="x")
        async with tandem_server(folder, data_dir, stub, arrivals) as session:
            info = {"index_seconds": round(await wait_indexed(session), 2)}
            doc = session.open(focus)
            for n in range(config.warmup + config.repetitions):
                if config.fresh_sessions:
                    await session.command("tandem.newSession", {})
                args = {"prompt": QUESTIONS[n % len(QUESTIONS)], "uri": doc}
                rep = await repetition(session, openai, stub, config, args, arrivals)
                if n >= config.warmup:
                    keep(samples, *rep)
        await openai.close()
    return samples, info


def keep(
    samples: Samples, tandem: Sample, direct: Sample, recorded: Recorded, result: dict[str, Any]
) -> None:
    samples.tandem.append(tandem)
    samples.direct.append(direct)
    samples.request_bytes.append(len(json.dumps(recorded.body)))
    samples.prompt_tokens.append(int(result["manifest"]["totalTokens"]))


@contextmanager
def workspace(config: Config) -> Iterator[tuple[Path, Path, Path]]:
    """(folder, active file, data dir) in a temp dir removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tandem-chat-bench-") as tmp:
        work = Path(tmp)
        if config.quick:
            folder, focus = generated_workspace(work / "ws"), QUICK_FOCUS
        else:
            folder, focus = stdlib_workspace(work / "stdlib"), STDLIB_FOCUS
        yield folder, folder / focus, work / "data"


# -- the report ----------------------------------------------------------------------


def spread(seconds: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(seconds, 0.5) * 1000, 2),
        "p95": round(percentile(seconds, 0.95) * 1000, 2),
        "n": len(seconds),
    }


def compare(tandem: list[float], direct: list[float], target: float) -> dict[str, Any]:
    """Both sides' spreads in ms, and what Tandem adds (difference of the percentiles)."""
    ours, floor = spread(tandem), spread(direct)
    adds = {q: round(ours[q] - floor[q], 2) for q in ("p50", "p95")}
    return {"tandem": ours, "direct": floor, "adds": adds, "target": target}


def summarize(samples: Samples) -> dict[str, Any]:
    def chunks(side: list[Sample]) -> list[float]:
        return [latency for sample in side for latency in sample.chunks]

    first_bytes = [s.first_byte for s in samples.tandem]
    growth = {}
    if len(first_bytes) >= 2 * GROWTH_TURNS:
        ends = first_bytes[:GROWTH_TURNS], first_bytes[-GROWTH_TURNS:]
        growth["first_byte_by_turn_ms"] = [spread(end)["p50"] for end in ends]
    return growth | {
        "first_byte_ms": compare(
            first_bytes, [s.first_byte for s in samples.direct], FIRST_BYTE_TARGET_MS
        ),
        "per_chunk_ms": compare(
            chunks(samples.tandem), chunks(samples.direct), PER_CHUNK_TARGET_MS
        ),
    }


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_1m": round(load[0], 2) if load else None,
    }


def verdict(row: dict[str, Any]) -> str:
    ok = [row["adds"][q] < row["target"] for q in ("p50", "p95")]
    return "met" if all(ok) else "met at p50 only" if ok[0] else "missed"


def table(results: dict[str, Any], info: dict[str, Any], config: Config) -> str:
    m = info["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"load average {m['load_1m']} ({m['platform']})",
        f"Workspace: {info['files']} files ({info['workspace']}), indexed in "
        f"{info['index_seconds']} s; largest request {info['request_kb']} KB, "
        f"{info['prompt_tokens']} prompt tokens",
        f"{config.repetitions} repetitions after {config.warmup} warm-up "
        f"({'each in a new session' if config.fresh_sessions else 'one session'}); "
        f"answers of {config.chunks} chunks, {config.chunk_delay * 1000:g} ms apart",
        "",
        "| ms | Tandem p50 | Tandem p95 | openai p50 | openai p95 "
        "| Tandem adds p50 | adds p95 | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    names = {
        "first_byte_ms": "request sent → first byte at the stub",
        "per_chunk_ms": "chunk written at the stub → at the client",
    }
    for key, name in names.items():
        row = results[key]
        t, d, a = row["tandem"], row["direct"], row["adds"]
        lines.append(
            f"| {name} | {t['p50']} | {t['p95']} | {d['p50']} | {d['p95']} "
            f"| {a['p50']} | {a['p95']} | < {row['target']:g} | {verdict(row)} |"
        )
    if "first_byte_by_turn_ms" in results:
        early, late = results["first_byte_by_turn_ms"]
        lines += [
            "",
            f"Tandem's first byte by turn: median {early} ms over the first "
            f"{GROWTH_TURNS} timed turns, {late} ms over the last {GROWTH_TURNS}.",
        ]
    return "\n".join(lines)


def describe(folder: Path, samples: Samples, info: dict[str, Any], config: Config) -> None:
    info["machine"] = machine()
    info["files"] = count_files(folder)
    info["workspace"] = "generated" if config.quick else "Python stdlib copy"
    info["request_kb"] = round(max(samples.request_bytes) / 1024, 1)
    info["prompt_tokens"] = max(samples.prompt_tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny workspace, 3 repetitions")
    parser.add_argument("--json", type=Path, help="also write results and samples here")
    parser.add_argument("--repetitions", type=int, help="timed turns (default 20; quick 3)")
    parser.add_argument("--chunks", type=int, help="pieces per answer (default 50; quick 10)")
    parser.add_argument("--chunk-delay", type=float, default=0.02, help="seconds between")
    parser.add_argument("--fresh-sessions", action="store_true", help="each turn in a new session")
    args = parser.parse_args(argv)
    config = Config.from_args(args)
    with workspace(config) as (folder, focus, data_dir):
        samples, info = asyncio.run(measure(folder, focus, data_dir, config))
        describe(folder, samples, info, config)
    results = summarize(samples)
    print(table(results, info, config))
    if args.json:
        payload = {"config": asdict(config), "info": info, "results": results}
        args.json.write_text(json.dumps({**payload, "samples": asdict(samples)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
