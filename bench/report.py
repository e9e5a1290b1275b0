"""The one results table of ``python -m bench``, with the machine and versions it ran on."""

from __future__ import annotations

import datetime
import os
import platform
import sqlite3
import statistics
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    benchmark: str
    workspace: str
    measure: str
    tandem: str
    baseline: str
    target: str
    verdict: str


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else "met" if ok else "**missed**"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for dist in ("tandem-ls", "pygls", "lsprotocol", "openai", "tiktoken"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    memory = Path("/proc/meminfo")
    total_kb = int(memory.read_text().split()[1]) if memory.exists() else 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
    }


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def header(meta: dict[str, Any]) -> list[str]:
    m, v = meta["machine"], meta["versions"]
    listed = ", ".join(f"{k} {val}" for k, val in v.items())
    return [
        f"# Tandem benchmarks ({'quick' if meta['quick'] else 'full'} run)",
        "",
        f"- Date: {meta['date']}; took {meta['seconds']:.0f} s",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['platform']}",
        f"- Load average (1 min) at start / end: {meta['load_start']} / {meta['load_end']}"
        " (the machine may be shared with other work)",
        f"- Versions: {listed}",
        f"- Rerun: `{meta['command']}` from the repository root",
        f"- Workspaces: {meta['workspaces']}",
        f"- Repeats: {meta['repeats']} server runs per workspace; figures are medians over "
        "runs, latency percentiles over all samples",
        "",
    ]


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| benchmark | workspace | measure | Tandem | baseline (same run) | target | |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.benchmark} | {r.workspace} | {r.measure} | {r.tandem} | {r.baseline} "
            f"| {r.target} | {r.verdict} |"
        )
    return lines


def render(meta: dict[str, Any], rows: list[Row], notes: list[str]) -> str:
    return "\n".join([*header(meta), *table(rows), "", *notes]).rstrip() + "\n"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
