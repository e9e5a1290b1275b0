"""What re-indexing a changed file costs: the index keeps the rows of the chunks that did
not change, against deleting every row of the file and inserting it again (what a
rewrite cost before). Side by side in one run, each on its own copy of the same index:

* edit: one character (a letter, or a line break) typed at a random place of a large
  module, then the file re-indexed (as the open buffer is while typing), 40 times per module;
* checkout: a function appended to each of 300 modules, re-indexed in one pass (what
  a branch switch that touches those files does).

The modules are this interpreter's standard library, read in place. After each part
the two indexes must hold the same terms with the same counts, chunks and symbols
(the run fails if not).

    python bench/rewrite_cost.py            # about a minute
    python bench/rewrite_cost.py --quick    # seconds
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.report import median, percentile  # noqa: E402

from tandem.core.context.index import FileUpdate, WorkspaceIndex  # noqa: E402


def modules() -> list[tuple[str, str]]:
    """The standard library's ``.py`` files (not its tests), largest first."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for path in sorted(lib.rglob("*.py")):
        rel = path.relative_to(lib).as_posix()
        if rel.startswith(("test/", "site-packages/", "idlelib/idle_test/")):
            continue
        try:
            found.append((rel, path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return sorted(found, key=lambda item: -len(item[1]))


def kept_buffer(index: WorkspaceIndex, u: FileUpdate) -> object:
    return index.update_file(u.path, u.text, u.mtime_ns, u.size)  # as an open buffer is


def whole_buffer(index: WorkspaceIndex, u: FileUpdate) -> object:
    index.remove_file(u.path)
    return index.update_file(u.path, u.text, u.mtime_ns, u.size)


def kept(index: WorkspaceIndex, updates: list[FileUpdate]) -> object:
    return index.update_files(updates)


def whole(index: WorkspaceIndex, updates: list[FileUpdate]) -> object:
    index.remove_files([u.path for u in updates])
    return index.update_files(updates)


SIDES = ("unchanged chunks kept", "whole file rewritten")
EDIT: dict[str, Callable[[WorkspaceIndex, FileUpdate], object]] = dict(
    zip(SIDES, (kept_buffer, whole_buffer), strict=True)
)
CHECKOUT: dict[str, Callable[[WorkspaceIndex, list[FileUpdate]], object]] = dict(
    zip(SIDES, (kept, whole), strict=True)
)


def indexes(work: Path, files: list[tuple[str, str]]) -> dict[str, WorkspaceIndex]:
    """One index of ``files`` per side, the second a copy of the first."""
    first = work / "first.db"
    index = WorkspaceIndex(first)
    index.update_files(FileUpdate(rel, text, 1, len(text)) for rel, text in files)
    index.close()
    out = {}
    for n, side in enumerate(SIDES):
        db = work / f"side{n}.db"
        shutil.copy(first, db)
        out[side] = WorkspaceIndex(db)
    return out


def typed(text: str, rng: random.Random) -> str:
    """One key pressed at a random place: a letter, or one time in five Enter (every
    later chunk moves down a line)."""
    at = rng.randrange(len(text))
    return text[:at] + rng.choice("xxxx\n") + text[at:]


def edits(work: Path, files: list[tuple[str, str]], count: int) -> dict[str, list[float]]:
    """Milliseconds per re-index after a one-character edit, per side."""
    opened = indexes(work, files)
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    rng = random.Random(7)
    for rel, text in files:
        for _ in range(count):
            text = typed(text, rng)
            update = FileUpdate(rel, text, -1, len(text))
            for side, rewrite in EDIT.items():
                started = time.perf_counter()
                rewrite(opened[side], update)
                times[side].append((time.perf_counter() - started) * 1000)
    check_same(opened)
    return times


def checkout(work: Path, files: list[tuple[str, str]]) -> dict[str, float]:
    """Seconds to re-index ``files`` each with a function appended, per side."""
    opened = indexes(work, files)
    addition = "\n\ndef checked_out_{n}(value):\n    return value  # revision {n}\n"
    updates = [
        FileUpdate(rel, text + addition.format(n=n), 2, len(text) + 1)
        for n, (rel, text) in enumerate(files)
    ]
    out = {}
    for side, rewrite in CHECKOUT.items():
        started = time.perf_counter()
        rewrite(opened[side], updates)
        out[side] = time.perf_counter() - started
    check_same(opened)
    return out


def check_same(opened: dict[str, WorkspaceIndex]) -> None:
    """Close the indexes; exit if their terms, counts, chunks or symbols differ."""
    vocab = []
    for index in opened.values():
        index.close()
        conn = sqlite3.connect(index.db_path)
        rows = [
            conn.execute(sql).fetchall()
            for sql in (
                "SELECT term, doc, cnt FROM chunk_vocab ORDER BY term",
                "SELECT term, doc, cnt FROM file_vocab ORDER BY term",
                "SELECT f.path, c.start_line, c.end_line, c.kind, c.name, c.header, c.names "
                "FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY 1, 2",
                "SELECT qualname, line FROM symbols ORDER BY 1, 2",
            )
        ]
        conn.close()
        vocab.append(rows)
    if any(rows != vocab[0] for rows in vocab):
        raise SystemExit("the two ways of re-indexing left different indexes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few files (CI)")
    args = parser.parse_args(argv)
    found = modules()
    large, spread = (found[:1], found[:20]) if args.quick else (found[:5], found[:300])
    with tempfile.TemporaryDirectory(prefix="tandem-rewrite-") as tmp:
        (Path(tmp) / "edit").mkdir()
        (Path(tmp) / "checkout").mkdir()
        typing = edits(Path(tmp) / "edit", large, 5 if args.quick else 40)
        switch = checkout(Path(tmp) / "checkout", spread)
    lines = sum(text.count("\n") for _, text in large)
    print(f"edit: {len(large)} modules of {lines // len(large):,} lines on average")
    print(f"checkout: {len(spread)} modules, {sum(len(t) for _, t in spread) // 1024:,} KB\n")
    print("| work | unchanged chunks kept | whole file rewritten |")
    print("|---|---:|---:|")
    row = [f"{median(v):.2f} / {percentile(v, 0.95):.2f}" for v in typing.values()]
    print(f"| re-index after a one-character edit, p50 / p95 ms | {' | '.join(row)} |")
    print(f"| re-index after a checkout, s | {' | '.join(f'{s:.2f}' for s in switch.values())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
