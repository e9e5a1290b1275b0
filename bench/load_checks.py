"""What the load benchmark counts and checks: turns, the stored history, the server log,
the server's memory, and the summary table.

Kept apart from ``load.py`` (which drives the server) so the checks read on their own:
each is a small function over plain data that the e2e test asserts on as well.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import procfs
from bench.report import percentile

LOG_PROBLEM = re.compile(r" (ERROR|CRITICAL) |^Traceback ")
RSS_GROWTH_LIMIT = 0.10
"""Memory is flat when RSS at the end is within this share of RSS after warm-up."""
QUARTERS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Where in the load after warm-up RSS is reported, to tell a plateau from a leak."""
P95_TOLERANCE = (1.25, 2.0)
"""Edit p95 under load counts as unchanged within 25 % or 2 ms of the idle p95."""


@dataclass
class Tally:
    """What the chat sessions did, as the client saw it."""

    turns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Turn ids answered, by session, in order."""
    attempts: Counter[str] = field(default_factory=Counter)
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    delta_chars: Counter[str] = field(default_factory=Counter)
    """Characters streamed so far, by turn id (dropped once the turn is answered)."""

    def on_delta(self, turn_id: str, delta: str) -> None:
        self.delta_chars[turn_id] += len(delta)

    def answered(self, session_id: str, result: dict[str, Any], seconds: float) -> None:
        """Record a turn's answer; a failed turn, or one whose deltas went missing, is
        an error."""
        turn_id = str(result["turnId"])
        self.turns[session_id].append(turn_id)
        self.durations.append(seconds)
        streamed = self.delta_chars.pop(turn_id, 0)
        if result["status"] != "complete":
            self.errors.append(f"turn {turn_id} ended {result['status']}: {result['error']}")
        elif streamed != len(result["text"]):
            self.errors.append(
                f"turn {turn_id}: {streamed} chars streamed, answer has {len(result['text'])}"
            )

    @property
    def sent(self) -> int:
        return sum(self.attempts.values())


@dataclass
class StoreCheck:
    stored: int = 0
    """Turns stored exactly once, question and answer both ``complete``."""
    problems: list[str] = field(default_factory=list)


def check_transcript(messages: list[dict[str, Any]], turn_ids: list[str], out: StoreCheck) -> None:
    """Every answered turn appears once as a complete question and a complete answer,
    and nothing else is stored."""
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for message in messages:
        seen[str(message.get("turnId"))].append((message["role"], message["status"]))
    expected = [("user", "complete"), ("assistant", "complete")]
    for turn_id in turn_ids:
        found = seen.pop(turn_id, [])
        if found == expected:
            out.stored += 1
        else:
            out.problems.append(f"turn {turn_id} stored as {found}")
    for turn_id, found in seen.items():
        out.problems.append(f"turn {turn_id} stored but never answered: {found}")


def log_problems(log: Path) -> list[str]:
    """Error lines (and tracebacks) in the server's log."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if LOG_PROBLEM.search(line)]


def rss_kb(pid: int) -> int | None:
    """Resident set size of a live process and its child processes (the server's
    context worker and model process), from ``/proc``; None once it is gone."""
    own = procfs.kb(pid, "VmRSS")
    return None if own is None else own + procfs.children_kb(pid, "VmRSS")


@dataclass
class Memory:
    """RSS samples, (monotonic seconds, kB), and the load phase's bounds."""

    samples: list[tuple[float, int]] = field(default_factory=list)
    load_start: float = 0.0
    load_end: float = 0.0
    warmup: float = 0.0

    def during_load(self) -> list[tuple[float, int]]:
        return [(t, kb) for t, kb in self.samples if self.load_start <= t <= self.load_end]

    def summary(self) -> dict[str, Any]:
        load = self.during_load()
        if not load:
            return {}
        after = [kb for t, kb in load if t >= self.load_start + self.warmup] or [load[-1][1]]
        first, last = after[0], load[-1][1]
        return {
            "start_mb": mb(self.samples[0][1]),
            "after_warmup_mb": mb(first),
            "end_mb": mb(last),
            "max_mb": mb(max(kb for _, kb in load)),
            "after_idle_mb": mb(self.samples[-1][1]),
            "growth_pct": round((last - first) / first * 100, 1),
            "quarters_mb": [mb(after[round(q * (len(after) - 1))]) for q in QUARTERS],
            "samples": len(load),
        }

    def series(self) -> list[tuple[float, float]]:
        """(seconds since the load started, MB): every sample, for plotting."""
        return [(round(t - self.load_start, 1), mb(kb)) for t, kb in self.samples]


def mb(kb: int) -> float:
    return round(kb / 1024, 1)


def spread_ms(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan"), "n": 0}
    return {
        "p50": round(percentile(seconds, 0.5) * 1000, 2),
        "p95": round(percentile(seconds, 0.95) * 1000, 2),
        "max": round(max(seconds) * 1000, 2),
        "n": len(seconds),
    }


def p95_unchanged(idle: dict[str, float], load: dict[str, float]) -> bool:
    ratio, slack = P95_TOLERANCE
    return load["p95"] <= max(idle["p95"] * ratio, idle["p95"] + slack)
