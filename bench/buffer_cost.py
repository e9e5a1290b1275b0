"""What one keystroke in a large open buffer costs the next request: redaction and
token count of the edited text, block by block against the whole text at once.

Every chat turn and ``previewContext`` redacts and counts the open buffers. A buffer
that changed since the last request is new text: scanned whole, a 20,000-line buffer
costs tens of milliseconds of regex scans, each of which holds the GIL. Side by side
in one run, on the same edited texts (one character inserted at a random place, the
way typing does, each edit followed by one request):

* redaction: ``redact(text)`` (the whole text) against ``RedactionMemo().redact``
  (blocks cut at blank lines, each window's result kept by content);
* token count: pieces cut at blank lines only (``pieces(text, split_above=inf)``,
  a long indented class is one piece) against the default pieces (long pieces also cut
  at line breaks), each with its own warm ``TokenCounter``.

    python bench/buffer_cost.py               # 2k / 20k / 200k lines, about a minute
    python bench/buffer_cost.py --quick       # seconds
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.typing_bench import document  # noqa: E402

from tandem.core.context import tokens  # noqa: E402
from tandem.core.context.tokens import TokenCounter  # noqa: E402
from tandem.core.redact import redact  # noqa: E402
from tandem.core.redact_memo import RedactionMemo  # noqa: E402

SIZES = (2_000, 20_000, 200_000)
WHOLE = 10**12


def edits(text: str, count: int, seed: int = 11) -> list[str]:
    """``count`` successive versions of ``text``, each one character longer."""
    rng = random.Random(seed)
    versions = []
    for _ in range(count):
        at = rng.randrange(len(text))
        text = text[:at] + "x" + text[at:]
        versions.append(text)
    return versions


def timed(run: Callable[[str], object], versions: list[str]) -> dict[str, float]:
    samples = []
    for text in versions:
        start = time.perf_counter()
        run(text)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
    }


def measure(lines: int, count: int, cache: Path) -> list[dict[str, object]]:
    text = document(lines)
    versions = edits(text, count)
    memo = RedactionMemo()
    memo.redact(text)
    whole_counter, piece_counter = (TokenCounter("o200k_base", cache) for _ in range(2))
    whole_counter.count(text)
    piece_counter.count(text)

    def count_whole(t: str) -> int:
        return sum(whole_counter._count_piece(p) for p in tokens.pieces(t, WHOLE))

    rows = [
        ("redaction", "whole text", lambda t: redact(t)),
        ("redaction", "block by block", memo.redact),
        ("token count", "blank-line pieces", count_whole),
        ("token count", "pieces + line cuts", piece_counter.count),
    ]
    out: list[dict[str, object]] = []
    for what, how, run in rows:
        out.append({"lines": lines, "what": what, "how": how, **timed(run, versions)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes, count = ((2_000,), 5) if args.quick else (SIZES, args.edits)
    with tempfile.TemporaryDirectory() as cache:
        rows = [row for lines in sizes for row in measure(lines, count, Path(cache))]
    print("| lines | work per edit | how | p50 (ms) | p95 (ms) |")
    print("|---:|---|---|---:|---:|")
    for row in rows:
        cells = (f"{row['lines']:,}", row["what"], row["how"], row["p50_ms"], row["p95_ms"])
        print("| " + " | ".join(str(c) for c in cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
