"""Side by side with aider's repo map: context time and file recall on SWE-bench tasks.

For each task, on the checkout at its base commit (``git archive``-style from the local
mirrors into ``--work``, shared with ``bench/retrieval.py``), with the problem statement
as the prompt and no files open:

* **Tandem**: the real server (``tandem serve`` over stdio) on the checkout; once its
  index is ready, ``tandem.previewContext`` is timed: a *first* call (another repo's
  problem statement, paying the cold caches of a fresh server) and *warm* calls with
  the task's own statement, one per code budget (the request budget is set so the
  code gets 8k, then 1k tokens). The manifest says which lines of which files the
  request holds.
* **aider**: ``aider.repomap.RepoMap`` built for the checkout in aider's own virtualenv
  (``bench/aider_repomap_driver.py``), with the file and identifier mentions aider
  itself extracts from the message and every file of the checkout as ``other_files``:
  a *first* call on a cold tags cache (the same other statement), then warm calls with
  the task's statement at ``map_tokens`` 8,192 (aider's default of 1,024 times 8, which
  it uses while no file is in the chat) and 1,024.

Scores per task: file recall (gold files whose code is shown; for aider also whether
they are merely named), span recall (gold functions and classes whose definition line
and first body lines are shown, as in ``bench/retrieval.py``), definition-line recall
(the signature alone), and the context's tokens (``cl100k_base``). A failure of one
side of a task is recorded and the run goes on.

    python bench/aider_compare.py [--limit N] [--repos flask,requests] [--json PATH]
    python bench/aider_compare.py --quick   # 3 requests tasks; aider only if installed
    python bench/aider_compare.py --summarize results.jsonl   # table of a (partial) run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aider_runner
from preview_client import ENCODING, Preview, measure_checkout
from swebench_data import Spans, checkout, gold_spans, load_tasks
from tandem.core.context.tokens import TokenCounter

log = logging.getLogger("aider_compare")

DATA = Path("/work/shared/bench/swebench-dev.jsonl")
CODE_BUDGETS = (8_192, 1_024)
QUICK_REPO = "psf/requests"
QUICK_TASKS = 3
TANDEM_TIMEOUT = 1200.0
AIDER_TIMEOUT = 1200.0
MAP_LINE = "│"
MAP_ELISION = "⋮"
MAP_WIDTH = 100
"""aider cuts every map line to this many characters, the ``│`` included."""

Lines = dict[str, set[int]]

# --- what aider's map shows ----------------------------------------------------------------


def map_contents(text: str, root: Path, known: set[str]) -> tuple[set[str], Lines]:
    """(files the map names, path -> 0-based source lines it shows) of an aider map.

    A file header is a line naming a file of the checkout (with a colon when code
    follows); each ``│`` line is matched, in order, to the next source line it copies.
    """
    named: set[str] = set()
    shown: Lines = defaultdict(set)
    current: str | None = None
    source: list[str] = []
    position = 0
    for line in text.splitlines():
        if line.startswith(MAP_LINE):
            if current is not None:
                position = _match(source, line[len(MAP_LINE) :], position, shown[current])
        elif line.strip() and not line.startswith(MAP_ELISION):
            name = line[:-1] if line.endswith(":") else line
            current = name if name in known else None
            if current is not None:
                named.add(current)
                source = (root / current).read_text(errors="replace").splitlines()
                position = 0
    return named, {path: lines for path, lines in shown.items() if lines}


def _match(source: list[str], shown: str, start: int, found: set[int]) -> int:
    """Index after the first source line from ``start`` that ``shown`` copies."""
    cut = len(shown) + len(MAP_LINE) >= MAP_WIDTH
    want = shown.rstrip()
    for number in range(start, len(source)):
        text = source[number]
        if text.startswith(shown) if cut else text.rstrip() == want:
            found.add(number)
            return number + 1
    return start


# --- scoring -------------------------------------------------------------------------------


def gold_files(task: dict[str, Any]) -> list[str]:
    added = set(task.get("gold_files_added", []))
    return [path for path in task["gold_files"] if path not in added]


def score(task: dict[str, Any], spans: Spans, shown: Lines, named: Iterable[str]) -> dict[str, Any]:
    gold = gold_files(task)
    names = set(named) | set(shown)
    pairs = [(p, needed) for p, by_name in spans.items() for needed in by_name.values() if needed]
    return {
        "file_recall": _share(sum(bool(shown.get(f)) for f in gold), len(gold)),
        "named_recall": _share(sum(f in names for f in gold), len(gold)),
        "span_recall": _share(
            sum(all(n in shown.get(p, ()) for n in needed) for p, needed in pairs), len(pairs)
        ),
        "def_recall": _share(
            sum(min(needed) in shown.get(p, ()) for p, needed in pairs), len(pairs)
        ),
    }


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


# --- one task ------------------------------------------------------------------------------


def tandem_side(
    root: Path, work: Path, task: dict[str, Any], first_prompt: str, count: Callable[[str], int]
) -> dict[str, Any]:
    data_dir = work / "tandem-data" / task["repo"].replace("/", "+") / task["base_commit"]
    measured = asyncio.run(
        asyncio.wait_for(
            measure_checkout(
                root, data_dir, first_prompt, task["problem_statement"], CODE_BUDGETS, count
            ),
            TANDEM_TIMEOUT,
        )
    )
    spans = gold_spans(root, task)
    first: Preview = measured["first"]
    calls = [_tandem_call(first, task, spans)]
    calls += [_tandem_call(warm, task, spans) for warm in measured["warm"]]
    return {"index_seconds": measured["index_seconds"], "calls": calls}


def _tandem_call(call: Preview, task: dict[str, Any], spans: Spans) -> dict[str, Any]:
    scored = score(task, spans, call.lines, call.lines) if call.label != "first" else {}
    return {
        **{k: v for k, v in asdict(call).items() if k != "lines"},
        "tokens": call.code_tokens,
        "files": sorted(call.lines),
        **scored,
    }


def aider_side(root: Path, work: Path, task: dict[str, Any], first_prompt: str) -> dict[str, Any]:
    python = aider_runner.python_of(aider_runner.VENV)
    tags = work / "aider-tags" / task["repo"].replace("/", "+") / task["base_commit"]
    calls = [{"label": "first", "prompt": first_prompt, "map_tokens": CODE_BUDGETS[0]}]
    calls += [
        {"label": f"warm-{budget}", "prompt": task["problem_statement"], "map_tokens": budget}
        for budget in CODE_BUDGETS
    ]
    try:
        result = aider_runner.repo_map(python, root, tags, calls, AIDER_TIMEOUT)
    finally:
        shutil.rmtree(tags, ignore_errors=True)
    known = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    spans = gold_spans(root, task)
    out = []
    for call in result["calls"]:
        named, shown = map_contents(call.pop("map"), root, known)
        scored = score(task, spans, shown, named) if call["label"] != "first" else {}
        out.append({**call, "files": sorted(shown), "named": len(named), **scored})
    return {"aider_version": result["aider_version"], "files": result["files"], "calls": out}


def run_task(
    task: dict[str, Any],
    paths: argparse.Namespace,
    first_prompt: str,
    count: Callable[[str], int],
    with_aider: bool,
) -> dict[str, Any]:
    record: dict[str, Any] = {"instance_id": task["instance_id"], "repo": task["repo"]}
    try:
        root = checkout(paths.mirrors, paths.work, task["repo"], task["base_commit"])
    except (OSError, subprocess.CalledProcessError) as error:
        log.warning("no checkout of %s: %s", task["instance_id"], error)
        return {**record, "checkout_error": str(error)}
    sides: dict[str, Callable[[], dict[str, Any]]] = {
        "tandem": lambda: tandem_side(root, paths.work, task, first_prompt, count)
    }
    if with_aider:
        sides["aider"] = lambda: aider_side(root, paths.work, task, first_prompt)
    for name, side in sides.items():
        started = time.perf_counter()
        try:
            record[name] = side()
        except Exception as error:  # the run's boundary: one side's failure is recorded
            log.warning("%s failed on %s: %s", name, task["instance_id"], error)
            record[name] = {"error": f"{type(error).__name__}: {error}"}
        record[name]["wall_seconds"] = time.perf_counter() - started
    return record


# --- the run ---------------------------------------------------------------------------------


def warm_up_prompt(all_tasks: list[dict[str, Any]], repo: str) -> str:
    """The first call's prompt: the first problem statement of another repository."""
    other = next((t for t in all_tasks if t["repo"] != repo), None)
    return other["problem_statement"] if other else "Where is the configuration loaded?"


def run(
    tasks: list[dict[str, Any]],
    paths: argparse.Namespace,
    with_aider: bool,
    all_tasks: list[dict[str, Any]] | None = None,
    sink: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Both systems on every task; returns the table rows and the per-task records."""
    if with_aider:
        aider_runner.ensure_venv()
    counter = TokenCounter(ENCODING, Path(tempfile.gettempdir()) / "tandem-bench-tiktoken")
    started, load = time.perf_counter(), _load()
    records = []
    for n, task in enumerate(tasks, 1):
        first = warm_up_prompt(all_tasks or tasks, task["repo"])
        record = run_task(task, paths, first, counter.count, with_aider)
        records.append(record)
        if sink is not None:
            sink(record)
        log.info("[%d/%d] %s: %s", n, len(tasks), task["instance_id"], _brief(record))
    return {
        "rows": summarize(records),
        "tasks": records,
        "aider_version": aider_runner.AIDER_VERSION if with_aider else None,
        "seconds": time.perf_counter() - started,
        "load": [load, _load()],
    }


def _brief(record: dict[str, Any]) -> str:
    parts = []
    for side in ("tandem", "aider"):
        calls = record.get(side, {}).get("calls")
        if calls:
            warm = calls[1]
            parts.append(
                f"{side} first {calls[0]['seconds'] * 1000:.0f} ms, warm "
                f"{warm['seconds'] * 1000:.0f} ms, file recall {warm['file_recall']}"
            )
        elif side in record:
            parts.append(f"{side} {record[side].get('error')}")
    return "; ".join(parts)


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


# --- the table -------------------------------------------------------------------------------

SYSTEMS = {"tandem": "Tandem previewContext", "aider": "aider repo map"}


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for side, name in SYSTEMS.items():
        done = [r[side] for r in records if "calls" in r.get(side, {})]
        if not done:
            continue
        firsts = [d["calls"][0]["seconds"] * 1000 for d in done]
        for position, budget in enumerate(CODE_BUDGETS, 1):
            calls = [d["calls"][position] for d in done]
            rows.append(_row(f"{name}, {budget // 1000}k", calls, firsts if position == 1 else []))
        if side == "tandem":
            rows[-len(CODE_BUDGETS)]["index ready s p50/p95"] = _spread(
                [d["index_seconds"] for d in done], "{:.1f}"
            )
    return rows


def _row(name: str, calls: list[dict[str, Any]], firsts: list[float]) -> dict[str, Any]:
    return {
        "system": name,
        "tasks": len(calls),
        "first ms p50/p95": _spread(firsts, "{:.0f}") if firsts else "—",
        "warm ms p50/p95": _spread([c["seconds"] * 1000 for c in calls], "{:.0f}"),
        "file recall": _mean(c["file_recall"] for c in calls),
        "files named": _mean(c["named_recall"] for c in calls),
        "span recall": _mean(c["span_recall"] for c in calls),
        "def-line recall": _mean(c["def_recall"] for c in calls),
        "tokens mean": f"{statistics.fmean(c['tokens'] for c in calls):,.0f}",
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def _spread(values: list[float], form: str) -> str:
    if not values:
        return "—"
    return f"{form.format(percentile(values, 0.5))} / {form.format(percentile(values, 0.95))}"


def _mean(values: Iterable[float | None]) -> str:
    kept = [v for v in values if v is not None]
    return f"{100 * statistics.fmean(kept):.1f}" if kept else "—"


def markdown(rows: list[dict[str, Any]]) -> str:
    headers = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(row.get(h, "")) for h in headers) + " |" for row in rows]
    return "\n".join(lines)


def report(result: dict[str, Any], note: str = "") -> str:
    errors = {side: sum("error" in r.get(side, {}) for r in result["tasks"]) for side in SYSTEMS}
    lines = [markdown(result["rows"]) if result["rows"] else "(no task finished)", ""]
    lines.append(
        f"{len(result['tasks'])} tasks in {result.get('seconds', 0) / 60:.1f} min; "
        f"aider-chat {result.get('aider_version') or 'not run'}; failures {errors}; "
        f"load average {result.get('load')}; tokens in {ENCODING}."
    )
    missing = sum("checkout_error" in r for r in result["tasks"])
    if missing:
        lines.append(
            f"{missing} tasks had no checkout: their repositories must be mirrored under "
            "--mirrors (one bare git directory each, as the search tool's fetch makes)."
        )
    if note:
        lines.append(note)
    return "\n".join(lines)


# --- command line ----------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "tandem-swebench"
    )
    parser.add_argument("--limit", type=int)
    parser.add_argument("--per-repo", type=int, help="only the first N tasks of each repository")
    parser.add_argument("--repos", help="comma-separated: requests,flask or owner/name")
    parser.add_argument("--quick", action="store_true", help="3 requests tasks (CI smoke)")
    parser.add_argument("--no-aider", action="store_true", help="Tandem only")
    parser.add_argument("--json", type=Path, help="write rows and per-task results here")
    parser.add_argument("--jsonl", type=Path, help="append each task's record as it finishes")
    parser.add_argument("--summarize", type=Path, help="only print the table of a --jsonl file")
    return parser.parse_args(argv)


def first_per_repo(tasks: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    seen: dict[str, int] = defaultdict(int)
    kept = []
    for task in tasks:
        seen[task["repo"]] += 1
        if seen[task["repo"]] <= count:
            kept.append(task)
    return kept


def _summarize_file(path: Path) -> int:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    print(report({"rows": summarize(records), "tasks": records}))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    args = parse(argv)
    if args.summarize:
        return _summarize_file(args.summarize)
    all_tasks = load_tasks(args.data, None, None)
    repos = {QUICK_REPO} if args.quick else set(args.repos.split(",")) if args.repos else None
    tasks = load_tasks(args.data, repos, QUICK_TASKS if args.quick else args.limit)
    if args.per_repo:
        tasks = first_per_repo(tasks, args.per_repo)
    with_aider, note = not args.no_aider, ""
    if args.quick and with_aider and not aider_runner.installed():
        with_aider = False
        note = (
            f"aider skipped: its virtualenv ({aider_runner.VENV}) is not installed "
            "(--quick never installs it)."
        )
    args.work.mkdir(parents=True, exist_ok=True)
    sink = None
    if args.jsonl:
        jsonl = args.jsonl

        def sink(record: dict[str, Any]) -> None:
            with jsonl.open("a") as out:
                out.write(json.dumps(record) + "\n")

    result = run(tasks, args, with_aider, all_tasks, sink)
    print(report(result, note))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
