"""Speed and memory at scale, measured side by side: ``python -m bench``.

Runs every benchmark on this machine and writes one markdown table (with the machine,
versions, date and how to rerun) to ``--out`` (default: printed), and the same
figures as JSON next to it (``--out`` with ``.json``, or ``--json``):

1. typing: one-character edits in 2k / 20k / 200k-line documents, against pygls;
2. initial indexing of W2k and W10k through the real server, against the floor of
   reading and tokenizing the same files once; peak RSS; ``workspaceState`` latency
   while it runs;
3. warm restart on W10k: process start to the first answered ``previewContext``, and
   how many files were read again;
4. ``previewContext`` latency on the warm index, 20 fixed prompts per workspace;
5. churn on W10k: ``git checkout`` of a branch rewriting 1,000 files, until the index
   is consistent, with ``workspaceState`` latency meanwhile;
6. memory with W10k indexed and 50 documents open and edited;
7. chat overhead (``bench/chat_overhead.py``), and the aider repo-map comparison
   (``bench/aider_compare.py``) when it exists.

The workspaces are real code (``bench/workspaces.py``), built once and cached under
``~/.cache/tandem-bench``. ``--quick`` runs everything on a small generated
workspace in seconds (CI smoke run; numbers not judged).

    python -m bench --out bench/results/latest.md      # about 10 to 15 minutes
    python -m bench --quick
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench import prompts, report, suite, workspaces  # noqa: E402
from bench.suite import Config, log  # noqa: E402


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small generated workspace, seconds")
    parser.add_argument("--out", type=Path, help="write the markdown here (default: print it)")
    parser.add_argument("--json", type=Path, help="write the JSON here (default: next to --out)")
    parser.add_argument("--repeats", type=int, help="server runs per workspace (default 3)")
    parser.add_argument("--skip-typing", action="store_true")
    parser.add_argument("--skip-w2k", action="store_true")
    parser.add_argument("--skip-w10k", action="store_true")
    parser.add_argument("--skip-chat", action="store_true")
    parser.add_argument("--skip-aider", action="store_true")
    return parser.parse_args(argv)


def config(args: argparse.Namespace) -> Config:
    if args.quick:
        return Config(True, args.repeats or 1, open_documents=5, churns=1)
    return Config(False, args.repeats or 3, open_documents=50, churns=2)


def scale_rows(args: argparse.Namespace, cfg: Config, out: dict[str, Any]) -> list[report.Row]:
    """Benchmarks 2 to 6: W2k (indexing, context) and W10k (all of them)."""
    if cfg.quick:
        plan = [("quick", workspaces.quick_repo, prompts.quick(), True)]
    else:
        plan = []
        if not args.skip_w2k:
            plan.append(("W2k", workspaces.w2k_repo, prompts.w2k(), False))
        if not args.skip_w10k:
            plan.append(("W10k", workspaces.w10k_repo, prompts.w10k(), True))
    rows: list[report.Row] = []
    for name, build, asks, big in plan:
        log(f"{name}: preparing the workspace")
        result = suite.scale(name, build(), asks, cfg, warm=big)
        out[name] = result
        rows += suite.scale_rows(result, big and not cfg.quick)
    return rows


def run(args: argparse.Namespace, cfg: Config) -> tuple[list[report.Row], list[str], Any]:
    rows: list[report.Row] = []
    notes: list[str] = []
    out: dict[str, Any] = {}
    if not args.skip_typing:
        log("typing")
        typing_rows, out["typing"] = suite.typing(cfg)
        rows += typing_rows
    rows += scale_rows(args, cfg, out)
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        if not args.skip_chat:
            log("chat overhead")
            chat_rows, out["chat"] = suite.chat(cfg, Path(tmp))
            rows += chat_rows
        if not args.skip_aider and not cfg.quick:
            log("aider comparison")
            aider_notes, out["aider"] = suite.aider(cfg, Path(tmp))
            notes += aider_notes
    return sorted(rows, key=lambda r: r.benchmark[:1]), notes, out


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    cfg = config(args)
    started, load_start = time.monotonic(), report.load_average()
    rows, notes, results = run(args, cfg)
    meta = {
        "quick": cfg.quick,
        "date": report.now(),
        "seconds": time.monotonic() - started,
        "machine": report.machine(),
        "versions": report.versions(),
        "load_start": load_start,
        "load_end": report.load_average(),
        "command": shlex.join(["python", "-m", "bench", *(argv or sys.argv[1:])]),
        "workspaces": workspace_note(results, cfg),
        "repeats": cfg.repeats,
    }
    if cfg.quick:  # a smoke run: the numbers say nothing about the targets
        rows = [replace(row, verdict="") for row in rows]
        notes.insert(0, "Quick run (CI smoke test): verdicts are left out on purpose.")
    markdown = report.render(meta, rows, notes)
    write(args, markdown, {"meta": meta, "rows": rows, "results": results})
    return 0


def workspace_note(results: dict[str, Any], cfg: Config) -> str:
    if cfg.quick:
        return "a generated 300-file package, committed (churn rewrites 20 files)"
    sdists = ", ".join(f"{n} {v}" for n, v in workspaces.SDISTS)
    return (
        "W2k = this interpreter's standard library with its tests; W10k = the standard "
        f"library plus the sdists of {sdists}; each a git repository of one commit"
    )


def write(args: argparse.Namespace, markdown: str, payload: dict[str, Any]) -> None:
    json_path = args.json or (args.out.with_suffix(".json") if args.out else None)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(markdown)
        log(f"wrote {args.out}")
    else:
        print(markdown)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=1, default=_plain) + "\n")
        log(f"wrote {json_path}")


def _plain(value: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


if __name__ == "__main__":
    sys.exit(main())
