"""Indexing at workspace scale: 10,000 files from real repositories.

Files are taken from the checkouts ``bench/retrieval.py`` leaves in its ``--work``
folder (each checkout under its own prefix) until ``--files`` text files are found.
Each phase runs in a fresh process, so its peak memory is its own:

* floor: read every file and compute its terms once (``terms_text``), one thread;
* initial: index every file into a new index (chunking, terms, SQLite);
* warm: reopen the index and check every file's stat against it; unchanged files are
  not read (the phase counts reads);
* query: rank every SWE-bench problem statement against the whole index (p50/p95),
  then report the resident memory with the index open.

    python bench/index_scale.py --work /tmp/tandem-swebench --files 10000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from tandem.core.context.index import FileUpdate, WorkspaceIndex
from tandem.core.context.ranking import rank_context
from tandem.core.context.terms import terms_text

MAX_FILE_BYTES = 1_000_000
DATA = Path("/work/shared/bench/swebench-dev.jsonl")


def corpus(work: Path, limit: int) -> list[Path]:
    """Up to ``limit`` text files from the checkouts, in a stable order."""
    found: list[Path] = []
    for checkout in sorted((work / "checkouts").glob("*/*")):
        for folder, dirs, files in os.walk(checkout):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if path.stat().st_size <= MAX_FILE_BYTES:
                    found.append(path)
                    if len(found) >= limit:
                        return found
    return found


def _rel(work: Path, path: Path) -> str:
    return path.relative_to(work / "checkouts").as_posix()


def _read(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\x00" in data[:8192] else data.decode("utf-8", "replace")


def phase_floor(files: list[Path], work: Path, db: Path) -> dict[str, float]:
    started = time.perf_counter()
    for path in files:
        text = _read(path)
        if text is not None:
            terms_text(text)
    return {"seconds": time.perf_counter() - started}


def phase_initial(files: list[Path], work: Path, db: Path) -> dict[str, float]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    index = WorkspaceIndex(db)

    def updates() -> Iterator[FileUpdate]:
        for path in files:
            stat = path.stat()
            yield FileUpdate(_rel(work, path), _read(path), stat.st_mtime_ns, stat.st_size)

    changed = index.update_files(updates())
    seconds = time.perf_counter() - started
    chunks = index.chunk_count()
    index.close()
    return {"seconds": seconds, "files": changed, "chunks": chunks, **_memory()}


def phase_warm(files: list[Path], work: Path, db: Path) -> dict[str, float]:
    started = time.perf_counter()
    index = WorkspaceIndex(db)
    known = index.file_states()
    reads = 0

    def updates() -> Iterator[FileUpdate]:
        nonlocal reads
        for path in files:
            stat = path.stat()
            state = known.get(_rel(work, path))
            if state and (state.mtime_ns, state.size) == (stat.st_mtime_ns, stat.st_size):
                continue
            reads += 1
            yield FileUpdate(_rel(work, path), _read(path), stat.st_mtime_ns, stat.st_size)

    changed = index.update_files(updates())
    seconds = time.perf_counter() - started
    index.close()
    return {"seconds": seconds, "files_read": reads, "changed": changed}


def phase_query(files: list[Path], work: Path, db: Path) -> dict[str, float]:
    prompts = [json.loads(line)["problem_statement"] for line in DATA.read_text().splitlines()]
    index = WorkspaceIndex(db)
    rank_context(index, prompts[0])
    times = []
    for prompt in prompts:
        started = time.perf_counter()
        rank_context(index, prompt)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    out = {
        "queries": len(times),
        "ms_p50": statistics.median(times),
        "ms_p95": times[int(0.95 * (len(times) - 1))],
        **_memory(),
    }
    index.close()
    return out


def _memory() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss_mb": rss_kb / 1024, "peak_rss_mb": peak_kb / 1024}


PHASES = {
    "floor": phase_floor,
    "initial": phase_initial,
    "warm": phase_warm,
    "query": phase_query,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "tandem-swebench"))
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "tandem-scale.db"))
    parser.add_argument("--phase", choices=sorted(PHASES), help="run one phase (internal)")
    args = parser.parse_args()
    work, db = Path(args.work), Path(args.db)
    files = corpus(work, args.files)
    if args.phase:
        print(json.dumps(PHASES[args.phase](files, work, db)))
        return
    report: dict[str, object] = {"files": len(files)}
    for phase in ("floor", "initial", "warm", "query"):
        command = [sys.executable, __file__, "--work", args.work, "--files", str(args.files)]
        out = subprocess.run(
            [*command, "--db", args.db, "--phase", phase], capture_output=True, text=True
        )
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        report[phase] = json.loads(out.stdout)
    initial = report["initial"]
    floor = report["floor"]
    assert isinstance(initial, dict) and isinstance(floor, dict)
    report["initial_over_floor"] = initial["seconds"] / floor["seconds"]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
