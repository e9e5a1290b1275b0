"""SWE-bench data for the retrieval bench: checkouts, file walks and gold spans.

Repositories come from mirrors made by the search tool's ``fetch`` (bare git dirs);
files are written from ``git cat-file`` into a cache folder outside the repository.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

MAX_FILE_BYTES = 1_000_000
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".tox", ".venv", "build", "dist"}
Spans = dict[str, dict[str, "list[int] | None"]]


def checkout(mirrors: Path, work: Path, repo: str, commit: str) -> Path:
    """Files of ``repo`` at ``commit`` under ``work`` (cached). Blobs the mirror lacks
    (snapshots may leave out their largest files) and files over the size cap are
    skipped, as the indexer would skip them anyway."""
    target = work / "checkouts" / repo.replace("/", "+") / commit
    if target.is_dir():
        return target
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", "-l", commit],
        capture_output=True,
        check=True,
    ).stdout
    blobs = dict(_wanted_blobs(listing))
    partial = Path(tempfile.mkdtemp(dir=work, prefix="checkout-"))
    for rel, data in _read_blobs(git_dir, blobs):
        path = partial / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial.rename(target)
    return target


def _wanted_blobs(listing: bytes) -> Iterator[tuple[str, str]]:
    """(path, sha) of the regular files no bigger than the cap, from ``ls-tree -l -z``."""
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, rel = entry.partition(b"\t")
        mode, kind, sha, size = meta.split()
        regular = kind == b"blob" and mode in (b"100644", b"100755") and size.isdigit()
        if regular and int(size) <= MAX_FILE_BYTES:
            yield rel.decode("utf-8", "surrogateescape"), sha.decode()


def _read_blobs(git_dir: Path, blobs: dict[str, str]) -> Iterator[tuple[str, bytes]]:
    """Blob contents through one ``git cat-file --batch``; missing blobs are skipped."""
    paths = list(blobs)
    request = "".join(blobs[p] + "\n" for p in paths).encode()
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        input=request,
        capture_output=True,
        check=True,
    ).stdout
    pos = 0
    for rel in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        yield rel, out[pos : pos + size]
        pos += size + 1


def walk(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            stat = path.stat()
            if stat.st_size <= MAX_FILE_BYTES:
                yield path.relative_to(root).as_posix(), stat


def read_text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def span_lines(text: str, name: str) -> list[int] | None:
    """0-based lines that must be visible for a gold span: its definition line and the
    first two lines of its body (``imports``: the first import). None if absent."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    if name == "imports":
        first = next((n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)), None)
        return [first.lineno - 1] if first else None
    node = _find_def(tree.body, name.split("."))
    if node is None:
        return None
    body_start = node.body[0].lineno - 1
    end = (node.end_lineno or node.lineno) - 1
    return sorted({node.lineno - 1, *range(body_start, min(body_start + 2, end + 1))})


def _find_def(body: list, parts: list[str]):  # type: ignore[no-untyped-def]
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == parts[0]:
                return node if len(parts) == 1 else _find_def(node.body, parts[1:])
        elif isinstance(node, ast.If | ast.Try):
            found = _find_def(node.body, parts)
            if found is not None:
                return found
    return None


def gold_spans(root: Path, task: dict) -> dict[str, dict[str, list[int] | None]]:  # type: ignore[type-arg]
    out: dict[str, dict[str, list[int] | None]] = {}
    for path, names in task.get("expected_spans", {}).items():
        file = root / path
        text = read_text(file) if file.is_file() else None
        out[path] = {n: span_lines(text, n) if text else None for n in names}
    return out


def load_tasks(path: Path, repos: set[str] | None, limit: int | None) -> list[dict]:  # type: ignore[type-arg]
    tasks = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if repos:
        tasks = [t for t in tasks if t["repo"] in repos or t["repo"].split("/")[1] in repos]
    return tasks[:limit] if limit else tasks
