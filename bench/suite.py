"""The benchmarks ``python -m bench`` runs, each turned into rows of the one table."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import prompts, typing_bench
from bench.report import Row, median, percentile, verdict
from bench.scale_runs import FreshResult, WarmResult, floor, fresh_run, warm_run
from bench.workspaces import CHURN_FILES, checkout

ROOT = Path(__file__).resolve().parents[1]
INDEX_RATIO_TARGET = 3.0
W10K_INDEX_TARGET_S = 30.0
STATE_TARGET_MS = 200.0
WARM_TARGET_S = 2.0
PREVIEW_TARGET_MS = 100.0
CHURN_TARGET_S = 5.0
MEMORY_TARGET_MB = 300.0
TYPING_TARGET_US = 1000.0
AIDER_TASKS_PER_REPO = 1
"""SWE-bench tasks per repository for the aider comparison (all 132 take far too long)."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Config:
    quick: bool
    repeats: int
    open_documents: int
    churns: int


@dataclass
class ScaleResult:
    name: str
    files: int = 0
    floors: list[float] = field(default_factory=list)
    fresh: list[FreshResult] = field(default_factory=list)
    warm: list[WarmResult] = field(default_factory=list)


# -- 1. typing ------------------------------------------------------------------------


def typing(config: Config) -> tuple[list[Row], Any]:
    edits, budget = (500, 0.1) if config.quick else (5_000, 2.0)
    typing_bench.check_same_text()
    results = [r for n in typing_bench.SIZES for r in typing_bench.measure(n, edits, budget)]
    rows = []
    for lines in typing_bench.SIZES:
        ours, pygls = (
            next(r for r in results if (r.lines, r.variant, r.implementation[:6]) == key)
            for key in ((lines, "edit", "tandem"), (lines, "edit", "pygls "))
        )
        rows.append(
            Row(
                "1 typing: one-character edit",
                f"{lines:,} lines",
                "p50 / p95 µs",
                f"{ours.p50_us:,.1f} / {ours.p95_us:,.1f}",
                f"pygls TextDocument {pygls.p50_us:,.1f} / {pygls.p95_us:,.1f}",
                "p95 ≤ 1,000 µs",
                verdict(ours.p95_us <= TYPING_TARGET_US),
            )
        )
    return rows, [asdict(r) for r in results]


# -- 2 to 6. the real server on a workspace -----------------------------------------------


def scale(
    name: str, repo: Path, asks: list[prompts.Prompt], config: Config, warm: bool
) -> ScaleResult:
    out = ScaleResult(name)
    for run in range(config.repeats):
        with tempfile.TemporaryDirectory(prefix=f"tandem-bench-{name}-") as tmp:
            ws = checkout(name, repo, Path(tmp) / name)
            out.floors.append(floor(ws.path))
            log(f"{name} run {run + 1}: floor {out.floors[-1]:.1f} s; indexing")
            fresh = asyncio.run(fresh_run(ws, Path(tmp) / "data", asks, 1, config.open_documents))
            out.fresh.append(fresh)
            out.files = fresh.files
            log(f"{name} run {run + 1}: indexed in {fresh.index_s:.1f} s")
            if warm:
                out.warm.append(
                    asyncio.run(warm_run(ws, Path(tmp) / "data", asks[0], config.churns))
                )
                log(f"{name} run {run + 1}: warm restart and churn done")
    return out


def scale_rows(result: ScaleResult, big: bool) -> list[Row]:
    rows = [*indexing_rows(result, big), preview_row(result)]
    if result.fresh[0].open_documents:
        rows.append(memory_row(result))
    if result.warm:
        rows += warm_rows(result)
    return rows


def indexing_rows(result: ScaleResult, big: bool) -> list[Row]:
    seconds = median([f.index_s for f in result.fresh])
    floor_s = median(result.floors)
    ratio = seconds / floor_s
    target = f"≤ {INDEX_RATIO_TARGET:g}x floor" + (f", ≤ {W10K_INDEX_TARGET_S:g} s" if big else "")
    ok = ratio <= INDEX_RATIO_TARGET and (not big or seconds <= W10K_INDEX_TARGET_S)
    states = [ms for f in result.fresh for ms in f.state_ms_during_indexing]
    ws = f"{result.name} ({result.files:,} files)"
    return [
        Row(
            "2 initial indexing",
            ws,
            "initialize → index ready, s",
            f"{seconds:.1f}",
            f"floor (read + tokenize once) {floor_s:.1f} s: {ratio:.2f}x",
            target,
            verdict(ok),
        ),
        Row(
            "2 initial indexing",
            ws,
            "server peak RSS (VmHWM), MB",
            f"{median([f.peak_rss_mb for f in result.fresh]):.0f}",
            f"index workers at most {median([f.workers_peak_mb for f in result.fresh]):.0f} MB"
            " more (sampled)",
            "",
            "",
        ),
        Row(
            "2 request during indexing",
            ws,
            f"`workspaceState` p50 / p95 ms (n={len(states)})",
            f"{percentile(states, 0.5):.1f} / {percentile(states, 0.95):.1f}",
            "",
            f"≤ {STATE_TARGET_MS:g} ms",
            verdict(percentile(states, 0.95) <= STATE_TARGET_MS),
        ),
    ]


def preview_row(result: ScaleResult) -> Row:
    samples = [ms for f in result.fresh for ms in f.preview_ms]
    p95 = percentile(samples, 0.95)
    return Row(
        "4 context assembly",
        result.name,
        f"`previewContext` p50 / p95 ms (n={len(samples)})",
        f"{percentile(samples, 0.5):.0f} / {p95:.0f}",
        "",
        f"p95 ≤ {PREVIEW_TARGET_MS:g} ms",
        verdict(p95 <= PREVIEW_TARGET_MS),
    )


def memory_row(result: ScaleResult) -> Row:
    """The server's memory with its context worker: PSS summed (a page the processes
    share counted once), with the RSS sum (counted in each) beside it."""
    pss = median([f.memory_pss_mb or 0.0 for f in result.fresh])
    rss = median([f.memory_rss_mb or 0.0 for f in result.fresh])
    peak = median([f.memory_peak_mb or 0.0 for f in result.fresh])
    docs = result.fresh[0].open_documents
    return Row(
        "6 memory",
        result.name,
        f"server + workers, index ready, {docs} documents open and edited: PSS, MB",
        f"{pss:.0f}",
        f"RSS summed {rss:.0f} MB; server's peak RSS so far {peak:.0f} MB",
        f"≤ {MEMORY_TARGET_MB:g} MB",
        verdict(pss <= MEMORY_TARGET_MB),
    )


def warm_rows(result: ScaleResult) -> list[Row]:
    first = median([w.first_preview_s for w in result.warm])
    reads = max(w.files_read for w in result.warm)
    churn = median([s for w in result.warm for s in w.churn_s])
    revert = median([s for w in result.warm for s in w.revert_s])
    states = [ms for w in result.warm for ms in w.state_ms_during_churn]
    consistent = min(c for w in result.warm for c in w.churn_files_consistent)
    return [
        Row(
            "3 warm restart",
            result.name,
            "process start → first `previewContext` answered, s",
            f"{first:.2f}",
            f"files re-read: {reads} of {result.files:,}",
            f"≤ {WARM_TARGET_S:g} s",
            verdict(first <= WARM_TARGET_S),
        ),
        Row(
            "5 churn",
            result.name,
            f"`git checkout` of {CHURN_FILES if result.files > 5000 else 'all'} rewritten "
            "files → index consistent, s",
            f"{churn:.1f}",
            f"back to main: {revert:.1f} s; {consistent} files verified in the index",
            f"≤ {CHURN_TARGET_S:g} s",
            verdict(churn <= CHURN_TARGET_S),
        ),
        Row(
            "5 request during churn",
            result.name,
            f"`workspaceState` p50 / p95 ms (n={len(states)})",
            f"{percentile(states, 0.5):.1f} / {percentile(states, 0.95):.1f}",
            "",
            f"≤ {STATE_TARGET_MS:g} ms",
            verdict(percentile(states, 0.95) <= STATE_TARGET_MS),
        ),
    ]


# -- 7. chat overhead, and the aider comparison (other scripts) ----------------------------


def run_script(script: str, args: list[str], json_path: Path) -> tuple[Any, str]:
    """Run ``bench/<script>`` with ``--json``; its JSON and its printed report."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(json_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"bench/{script} failed:\n{run.stderr[-2000:]}")
    return json.loads(json_path.read_text()), run.stdout


def chat(config: Config, tmp: Path) -> tuple[list[Row], Any]:
    args = ["--quick"] if config.quick else []
    payload, _ = run_script("chat_overhead.py", args, tmp / "chat.json")
    results, info = payload["results"], payload["info"]
    rows = []
    names = {
        "first_byte_ms": "`tandem.chat` → first byte at the endpoint, ms",
        "per_chunk_ms": "chunk at the endpoint → `tandem/chatDelta`, ms",
    }
    for key, measure in names.items():
        row = results[key]
        t, d, a = row["tandem"], row["direct"], row["adds"]
        rows.append(
            Row(
                "7 chat overhead",
                f"{info['workspace']} ({info['files']:,} files)",
                f"{measure}: p50 / p95 (adds p50 / p95)",
                f"{t['p50']:.1f} / {t['p95']:.1f} (adds {a['p50']:.1f} / {a['p95']:.1f})",
                f"openai client {d['p50']:.1f} / {d['p95']:.1f}",
                f"adds < {row['target']:g} ms",
                verdict(a["p95"] < row["target"]),
            )
        )
    return rows, {"results": results, "info": info}


def aider(config: Config, tmp: Path) -> tuple[list[str], Any]:
    """``bench/aider_compare.py`` when it exists: its printed report goes in as notes."""
    if not (ROOT / "bench" / "aider_compare.py").exists():
        return ["Aider repo-map comparison: `bench/aider_compare.py` is not there yet."], None
    args = ["--quick"] if config.quick else ["--per-repo", str(AIDER_TASKS_PER_REPO)]
    title = f"## Aider repo-map comparison (`bench/aider_compare.py {' '.join(args)}`)"
    try:
        payload, printed = run_script("aider_compare.py", args, tmp / "aider.json")
    except RuntimeError as error:  # another team's script: report it, keep our table
        return [title, "", f"It failed: {error}"], None
    return [title, "", printed], payload


Step = Callable[[], tuple[list[Row], Any]]
