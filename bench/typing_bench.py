"""Typing speed: one-character edits in big documents, TextBuffer against pygls.

Each edit inserts one character at a random (line, character) of a document made of
real code (the source of a stdlib module, repeated to 2k / 20k / 200k lines), the way an
editor sends a keystroke as an incremental ``didChange``. Both implementations get the
same positions, in UTF-16 units. Two variants are timed:

* ``edit``: the edit alone;
* ``edit + text``: the edit, then reading the whole text (what a reader after every
  keystroke would pay; our buffer joins its lines lazily, pygls keeps one string).

Each cell runs until it has ``--edits`` samples or its time budget is spent (at least
five samples), then reports p50 / p95 in microseconds.

    python bench/typing_bench.py            # about half a minute
    python bench/typing_bench.py --quick    # about two seconds
    python bench/typing_bench.py --json results.json
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from lsprotocol import types
from pygls.workspace import TextDocument

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.report import percentile  # noqa: E402

from tandem.core.text import TextBuffer  # noqa: E402

SIZES = (2_000, 20_000, 200_000)
SOURCE_MODULE = "_pydecimal"
MIN_SAMPLES = 5

Edit = tuple[int, int]
Editor = Callable[[Edit], object]


@dataclass
class Result:
    lines: int
    implementation: str
    variant: str
    samples: int
    p50_us: float
    p95_us: float


def document(lines: int) -> str:
    """Real code, repeated to ``lines`` lines."""
    source = inspect.getsource(__import__(SOURCE_MODULE)).rstrip("\n").split("\n")
    repeated = (source * (lines // len(source) + 1))[:lines]
    return "\n".join(repeated) + "\n"


def random_edits(text: str, count: int, seed: int = 7) -> list[Edit]:
    """Positions spread over the document; the line lengths only bound the character."""
    rng = random.Random(seed)
    lengths = [len(line) for line in text.split("\n")]
    edits = []
    for _ in range(count):
        line = rng.randrange(len(lengths))
        edits.append((line, rng.randint(0, lengths[line])))
    return edits


def ours(text: str, read: bool) -> Editor:
    buffer = TextBuffer(text, "utf-16")

    def edit(at: Edit) -> object:
        buffer.apply_change(at, at, "x")
        return buffer.text if read else None

    return edit


def pygls_document(text: str, read: bool) -> Editor:
    doc = TextDocument("file:///bench.py", text)

    def edit(at: Edit) -> object:
        position = types.Position(line=at[0], character=at[1])
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=position, end=position), text="x"
        )
        doc.apply_change(change)
        return doc.source if read else None

    return edit


IMPLEMENTATIONS: dict[str, Callable[[str, bool], Editor]] = {
    "tandem TextBuffer": ours,
    "pygls TextDocument": pygls_document,
}


def timed(editor: Editor, edits: list[Edit], budget_s: float) -> list[float]:
    """Microseconds per edit, until the edits or the budget run out."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for at in edits:
        started = time.perf_counter_ns()
        editor(at)
        samples.append((time.perf_counter_ns() - started) / 1_000)
        if len(samples) >= MIN_SAMPLES and time.perf_counter() > deadline:
            break
    return samples


def measure(lines: int, edits_per_cell: int, budget_s: float) -> list[Result]:
    text = document(lines)
    edits = random_edits(text, edits_per_cell)
    results = []
    for variant, read in (("edit", False), ("edit + text", True)):
        for name, make in IMPLEMENTATIONS.items():
            gc.collect()
            samples = timed(make(text, read), edits, budget_s)
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            results.append(Result(lines, name, variant, len(samples), p50, p95))
    return results


def check_same_text(lines: int = 2_000, count: int = 200) -> None:
    """Both implementations end with the same text after the same edits."""
    text = document(lines)
    buffer, doc = TextBuffer(text), TextDocument("file:///check.py", text)
    for at in random_edits(text, count, seed=11):
        buffer.apply_change(at, at, "x")
        position = types.Position(line=at[0], character=at[1])
        doc.apply_change(
            types.TextDocumentContentChangePartial(
                range=types.Range(start=position, end=position), text="x"
            )
        )
    if buffer.text != doc.source:
        raise SystemExit("TextBuffer and pygls disagree: the benchmark compares nothing")


def table(results: list[Result]) -> str:
    rows = [
        "| lines | variant | implementation | samples | p50 µs | p95 µs |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r.lines:,} | {r.variant} | {r.implementation} | {r.samples} "
            f"| {r.p50_us:,.1f} | {r.p95_us:,.1f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small budgets, ~2 s")
    parser.add_argument("--edits", type=int, default=None, help="max edits per cell")
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    args = parser.parse_args(argv)
    edits, budget = (500, 0.1) if args.quick else (5_000, 4.0)
    edits = args.edits or edits
    check_same_text()
    results = [r for lines in SIZES for r in measure(lines, edits, budget)]
    print(f"Python {sys.version.split()[0]}, source: {SOURCE_MODULE} repeated\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")


if __name__ == "__main__":
    main()
