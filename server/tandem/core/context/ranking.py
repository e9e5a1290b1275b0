"""Rank chunks (and files) for a prompt: BM25 plus what the editor knows.

Scores are sums of documented parts, each explained in ``why``:

* **lexical**: FTS5 BM25 over the chunk's path, definition names and body, divided by
  the best score of the query, so it lies in 0..1 whatever the prompt's length. The
  query keeps the :data:`MAX_QUERY_TERMS` prompt terms with the highest
  ``(1 + log tf) * idf`` (long bug reports have hundreds of distinct words; the rare
  ones carry the signal and the common ones cost time); a term of a symbol the prompt
  names, or one the prompt repeats :data:`REPEAT_FROM` times, counts twice.
* **defines**: the chunk defines a symbol the prompt names: :data:`DEFINES_WEIGHT`,
  shared among the definitions of that name (``__init__`` is everywhere and tells
  nothing; a name defined once tells a lot).
* **path**: the file is named in the prompt (a path, a file name, a traceback line, a
  dotted module): :data:`PATH_WEIGHT`, shared among the files matching the mention.
* **editor**: the selection :data:`SELECTION_WEIGHT`, the active file
  :data:`ACTIVE_WEIGHT`, open buffers :data:`OPEN_WEIGHT`, files changed in git
  :data:`CHANGED_WEIGHT`, recently edited files :data:`RECENT_WEIGHT`.
* **extra**: optional per-chunk scores from elsewhere (semantic search), times
  :data:`EXTRA_WEIGHT`.

Files are ranked by their best chunks: the best chunk, plus half the second and a
quarter of the third (a file with several relevant parts is likelier the one to
change), plus the file-level parts, plus :data:`FILE_LEXICAL_WEIGHT` times the file's
whole-file BM25 relative to the best file (chunk scores see one part of a file at a
time; the whole-file score sees the words of the report spread over a module).
A chunk's final score adds :data:`FILE_SHARE` of its file's score, so the parts of the
most relevant file come first.

**Priors by kind of file.** The answer to a question about behaviour is in the code,
while tests, docs, changelogs and assets repeat the code's words (a changelog names
every function ever fixed). So chunks of test files are weighed by
:data:`TEST_FACTOR`; prose and config (Markdown, reST, text, ``CHANGES``, anything under
``doc/``, ``.ini``/``.toml``/``.yaml``, dotfiles, files without an extension...) by
:data:`DOC_FACTOR`; assets, data, translations and vendored code (``.css``, ``.json``,
``.po``, minified or ``static/`` files...) by :data:`ASSET_FACTOR`. Priors scale the
lexical evidence only: definitions and paths the prompt names and every editor
signal are added after them, so a test or a doc the user points at (by name, by
selection, by opening it) is not held back.

The weights were set on ``bench/retrieval.py`` (132 SWE-bench tasks, five
repositories); each moved file Acc@5 by a few points at most, and values near them
score the same, so they are not tuned to the last task.

Ties break on path, then line, so results are deterministic.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tandem.core.context.index import Hit, WorkspaceIndex
from tandem.core.context.terms import Mentions, expand, prompt_mentions, term_counts

MAX_QUERY_TERMS = 48
COMMON_SHARE = 0.5
REPEAT_FROM = 6
"""A prompt term this frequent (or part of a named symbol) counts twice."""
MIN_QUERY_TERMS = 8
FILE_POSTINGS_BUDGET = 6_000
MIN_RARE_TERMS = MAX_QUERY_TERMS
CANDIDATES = 400
FILE_CANDIDATES = 50
FILE_QUERY_TERMS = 16
"""The whole-file search uses the best of the query's terms, once each."""
MAX_SYMBOLS = 40
BOOSTED_FILE_CHUNKS = 3
MAX_DEFINITIONS = 6
"""A name defined in more places than this is too common to point anywhere."""

DEFINES_WEIGHT = 0.8
PATH_WEIGHT = 0.8
SELECTION_WEIGHT = 1.5
ACTIVE_WEIGHT = 0.4
OPEN_WEIGHT = 0.2
CHANGED_WEIGHT = 0.2
RECENT_WEIGHT = 0.15
EXTRA_WEIGHT = 1.0
FILE_SHARE = 0.5
FILE_LEXICAL_WEIGHT = 0.25
TEST_FACTOR = 0.5
DOC_FACTOR = 0.3
ASSET_FACTOR = 0.2
_SECOND_CHUNKS = (1.0, 0.5, 0.25)

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_tests?\.[^/]+$|(^|/)conftest\.")
_DOC_PATH = re.compile(
    r"(^|/)docs?/|\.(md|markdown|mdx|rst|rest|txt|adoc|asciidoc|org|rdoc|texi|"
    r"ini|cfg|toml|ya?ml|conf)$|(^|/)(CHANGES|CHANGELOG|HISTORY|NEWS)|(^|/)\.?[^/.]+$|"
    r"(^|/)\.[^/]+$"
)
_ASSET_PATH = re.compile(
    r"(^|/)(static|vendor|vendored|extern|third_party|node_modules|locales?|i18n)/|"
    r"\.(css|scss|sass|less|svg|json|lock|csv|tsv|dat|xml|html?|map|po|pot|mo|"
    r"[a-z]+_t)$|\.min\.[a-z]+$|(^|/)package-lock\.json$"
)


@dataclass(frozen=True)
class Signals:
    """What the editor knows besides the prompt. Paths are folder-relative posix."""

    active_path: str | None = None
    selection_path: str | None = None
    selection_lines: tuple[int, int] | None = None
    """0-based inclusive line range of the selection in ``selection_path``."""
    open_paths: Sequence[str] = ()
    changed_paths: Sequence[str] = ()
    recent_paths: Sequence[str] = ()
    mentioned: Mentions | None = None
    """Paths and symbols named in the prompt; None: extracted from the prompt here."""
    extra_scores: Mapping[int, float] = field(default_factory=dict)
    """chunk id -> extra score (0..1), for example from semantic retrieval."""


@dataclass(frozen=True)
class RankedChunk:
    chunk_id: int
    path: str
    start_line: int
    end_line: int
    kind: str
    name: str | None
    score: float
    why: list[str]


@dataclass
class _Candidate:
    hit: Hit
    score: float = 0.0
    why: list[str] = field(default_factory=list)

    def add(self, amount: float, reason: str) -> None:
        if amount > 0:
            self.score += amount
            self.why.append(reason)


@dataclass
class _Ranking:
    chunks: dict[int, _Candidate]
    files: dict[str, float]
    file_why: dict[str, list[str]]


@dataclass(frozen=True)
class Ranking:
    """Both views of one ranking: chunks and files, best first."""

    chunks: list[RankedChunk]
    files: list[tuple[str, float]]


def rank(
    index: WorkspaceIndex, prompt: str, signals: Signals | None = None, limit: int = 50
) -> list[RankedChunk]:
    """The ``limit`` best chunks for ``prompt``, best first."""
    return rank_context(index, prompt, signals).chunks[:limit]


def rank_files(
    index: WorkspaceIndex, prompt: str, signals: Signals | None = None, limit: int = 20
) -> list[tuple[str, float]]:
    """The ``limit`` best files for ``prompt``, best first."""
    return rank_context(index, prompt, signals).files[:limit]


def rank_context(index: WorkspaceIndex, prompt: str, signals: Signals | None = None) -> Ranking:
    """Chunks and files for ``prompt`` from one pass (every candidate, best first)."""
    ranking = _rank(index, prompt, signals or Signals())
    chunks = []
    for cand in ranking.chunks.values():
        hit = cand.hit
        score = cand.score + FILE_SHARE * ranking.files.get(hit.path, 0.0)
        why = cand.why + ranking.file_why.get(hit.path, [])
        location = (hit.chunk_id, hit.path, hit.start_line, hit.end_line, hit.kind, hit.name)
        chunks.append(RankedChunk(*location, score, why))
    chunks.sort(key=lambda r: (-r.score, r.path, r.start_line))
    files = sorted(ranking.files.items(), key=lambda item: (-item[1], item[0]))
    return Ranking(chunks, files)


def _rank(index: WorkspaceIndex, prompt: str, signals: Signals) -> _Ranking:
    mentions = signals.mentioned or prompt_mentions(prompt)
    chunks: dict[int, _Candidate] = {}
    query = query_terms(index, prompt, mentions)
    prior = _Priors()
    _lexical(index, query, chunks)
    prior.apply(chunks)  # to lexical evidence only: what the user points at is not held back
    _definitions(index, mentions, chunks)
    _selection(index, signals, chunks)
    for cid, value in signals.extra_scores.items():
        _candidate(index, chunks, cid).add(EXTRA_WEIGHT * value, "semantic")
    chunks = {cid: cand for cid, cand in chunks.items() if cand.hit.chunk_id == cid}
    file_boosts, file_why = _file_boosts(index, mentions, signals)
    _cover_boosted_files(index, chunks, file_boosts)
    files = _file_scores(chunks, file_boosts)
    _add_file_lexical(index, query, prior, files, file_why)
    return _Ranking(chunks, files, file_why)


def _candidate(index: WorkspaceIndex, chunks: dict[int, _Candidate], cid: int) -> _Candidate:
    found = chunks.get(cid)
    if found is None:
        hit = index.describe([cid]).get(cid)
        found = chunks[cid] = _Candidate(hit or Hit(-1, "", 0, 0, "block", None, 0.0))
    return found


# --- lexical -----------------------------------------------------------------------------


def query_terms(index: WorkspaceIndex, prompt: str, mentions: Mentions) -> list[str]:
    """The prompt's most telling terms; a term repeated weighs more in BM25.

    Term statistics come from the per-file table (its posting lists are about ten
    times shorter than the per-chunk ones, and reading them is what a lookup costs).
    Terms in more than :data:`COMMON_SHARE` of the files are left out when enough
    rarer ones remain: their IDF is near zero and each costs the query a pass over a
    long posting list. Past the first :data:`MIN_QUERY_TERMS`, a term is skipped when
    it would take the query's file postings over :data:`FILE_POSTINGS_BUDGET`, which
    bounds the cost of a query whatever the size of the workspace.
    """
    counts = term_counts(prompt)
    symbol_terms = {t for sym in mentions.symbols for t in expand(sym)}
    for term in symbol_terms:
        counts[term] += 1
    df = index.file_frequencies(counts)
    total = max(index.file_count(), 1)
    weights: dict[str, float] = {}
    for term, df_t in df.items():
        idf = math.log(1 + (total - df_t + 0.5) / (df_t + 0.5))
        weights[term] = (1 + math.log(counts[term])) * idf
    rare = [t for t in weights if df[t] <= COMMON_SHARE * total]
    pool = rare if len(rare) >= MIN_RARE_TERMS else list(weights)
    best = sorted(pool, key=lambda t: (-weights[t], t))[:MAX_QUERY_TERMS]
    out: list[str] = []
    postings = 0
    for n, term in enumerate(best):
        repeat = 1 + (term in symbol_terms or counts[term] >= REPEAT_FROM)
        if n >= MIN_QUERY_TERMS and postings + repeat * df[term] > FILE_POSTINGS_BUDGET:
            continue
        postings += repeat * df[term]
        out.extend([term] * repeat)
    return out


def _lexical(index: WorkspaceIndex, query: list[str], chunks: dict[int, _Candidate]) -> None:
    hits = index.search(query, CANDIDATES)
    if not hits:
        return
    top = hits[0].score or 1.0
    for hit in hits:
        share = hit.score / top
        chunks[hit.chunk_id] = _Candidate(hit, share, [f"bm25 {share:.2f}"])


# --- symbols and paths named in the prompt -------------------------------------------------


def _definitions(index: WorkspaceIndex, mentions: Mentions, chunks: dict[int, _Candidate]) -> None:
    for symbol in mentions.symbols[:MAX_SYMBOLS]:
        defs = index.symbols(symbol)
        if not defs or len(defs) > MAX_DEFINITIONS:
            continue
        for definition in defs:
            cand = _candidate(index, chunks, definition.chunk_id)
            cand.add(DEFINES_WEIGHT / len(defs), f"defines {symbol}")


def _file_boosts(
    index: WorkspaceIndex, mentions: Mentions, signals: Signals
) -> tuple[dict[str, float], dict[str, list[str]]]:
    boosts: dict[str, float] = {}
    why: dict[str, list[str]] = {}

    def add(path: str, amount: float, reason: str) -> None:
        boosts[path] = boosts.get(path, 0.0) + amount
        why.setdefault(path, []).append(reason)

    for mention, named in _mentioned_files(index, mentions.paths).items():
        for path in named:
            add(path, PATH_WEIGHT / len(named), f"path {mention}")
    editor: tuple[tuple[Sequence[str], float, str], ...] = (
        ([signals.active_path] if signals.active_path else [], ACTIVE_WEIGHT, "active file"),
        (signals.open_paths, OPEN_WEIGHT, "open"),
        (signals.changed_paths, CHANGED_WEIGHT, "changed"),
        (signals.recent_paths, RECENT_WEIGHT, "recently edited"),
    )
    for paths, weight, reason in editor:
        for path in dict.fromkeys(paths):
            add(path, weight, reason)
    return boosts, why


def _selection(index: WorkspaceIndex, signals: Signals, chunks: dict[int, _Candidate]) -> None:
    if not signals.selection_path:
        return
    first, last = signals.selection_lines or (0, 1 << 30)
    for hit in index.chunks_of(signals.selection_path):
        if hit.start_line <= last and hit.end_line >= first:
            _candidate(index, chunks, hit.chunk_id).add(SELECTION_WEIGHT, "selection")


@dataclass
class _PathMap:
    generation: int
    by_suffix: dict[str, list[str]]


_path_maps: weakref.WeakKeyDictionary[WorkspaceIndex, _PathMap] = weakref.WeakKeyDictionary()


def _suffix_map(index: WorkspaceIndex) -> dict[str, list[str]]:
    """Every path under each of its suffixes (extension dropped): cached per generation."""
    cached = _path_maps.get(index)
    if cached is not None and cached.generation == index.generation:
        return cached.by_suffix
    by_suffix: dict[str, list[str]] = {}
    for path in index.paths():
        parts = _module_parts(path)
        for k in range(1, len(parts) + 1):
            by_suffix.setdefault("/".join(parts[-k:]), []).append(path)
    _path_maps[index] = _PathMap(index.generation, by_suffix)
    return by_suffix


def _module_parts(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p and p != "."]
    if parts:
        stem, dot, _ = parts[-1].rpartition(".")
        parts[-1] = stem if dot and stem else parts[-1]
        if parts[-1] == "__init__" and len(parts) > 1:
            parts.pop()
    return parts


def _mentioned_files(index: WorkspaceIndex, mentioned: list[str]) -> dict[str, list[str]]:
    """mention -> the indexed files it names (longest matching suffix wins)."""
    by_suffix = _suffix_map(index)
    out: dict[str, list[str]] = {}
    for mention in mentioned:
        parts = _module_parts(mention)
        has_ext = "." in mention.rsplit("/", 1)[-1]
        for drop in range(0, 3 if not has_ext else 1):
            key_parts = parts[: len(parts) - drop]
            if not key_parts or (len(key_parts) < 2 and not has_ext):
                break
            found = _longest_suffix(by_suffix, key_parts)
            if found:
                out[mention] = found
                break
    return out


def _longest_suffix(by_suffix: dict[str, list[str]], parts: list[str]) -> list[str]:
    for k in range(len(parts), 0, -1):
        found = by_suffix.get("/".join(parts[-k:]))
        if found and (k >= 2 or len(parts) == 1):
            return found
    return []


# --- files -------------------------------------------------------------------------------


def _cover_boosted_files(
    index: WorkspaceIndex, chunks: dict[int, _Candidate], boosts: dict[str, float]
) -> None:
    """A file the prompt or the editor points at, but no chunk of which matched, still
    takes part: with its first :data:`BOOSTED_FILE_CHUNKS` chunks."""
    present = {cand.hit.path for cand in chunks.values()}
    for path in boosts:
        if path not in present:
            for hit in index.chunks_of(path)[:BOOSTED_FILE_CHUNKS]:
                chunks[hit.chunk_id] = _Candidate(hit)


class _Priors:
    """The factor of each file's kind (cached per path for one ranking)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, str]] = {}

    def of(self, path: str) -> tuple[float, str]:
        found = self._cache.get(path)
        if found is None:
            found = self._cache[path] = file_prior(path)
        return found

    def apply(self, chunks: dict[int, _Candidate]) -> None:
        for cand in chunks.values():
            factor, kind = self.of(cand.hit.path)
            if factor != 1.0:
                cand.score *= factor
                cand.why.append(f"{kind} x{factor}")


def file_prior(path: str) -> tuple[float, str]:
    """(factor, kind) of a path: tests, assets, docs and config weigh less than code."""
    if _TEST_PATH.search(path):
        return TEST_FACTOR, "test"
    if _ASSET_PATH.search(path):
        return ASSET_FACTOR, "asset"
    if _DOC_PATH.search(path):
        return DOC_FACTOR, "doc"
    return 1.0, "code"


def is_test_path(path: str) -> bool:
    return _TEST_PATH.search(path) is not None


def _file_scores(chunks: dict[int, _Candidate], boosts: dict[str, float]) -> dict[str, float]:
    per_file: dict[str, list[float]] = {}
    for cand in chunks.values():
        per_file.setdefault(cand.hit.path, []).append(cand.score)
    files: dict[str, float] = {}
    for path, scores in per_file.items():
        scores.sort(reverse=True)
        files[path] = sum(w * s for w, s in zip(_SECOND_CHUNKS, scores, strict=False))
    for path, boost in boosts.items():
        if path in per_file:
            files[path] += boost
    return files


def _add_file_lexical(
    index: WorkspaceIndex,
    query: list[str],
    prior: _Priors,
    files: dict[str, float],
    why: dict[str, list[str]],
) -> None:
    """Whole-file BM25 (relative to the best file), weighed by the file's prior."""
    found = index.search_files(list(dict.fromkeys(query))[:FILE_QUERY_TERMS], FILE_CANDIDATES)
    if not found:
        return
    top = found[0][1] or 1.0
    for path, score in found:
        share = FILE_LEXICAL_WEIGHT * prior.of(path)[0] * score / top
        files[path] = files.get(path, 0.0) + share
        why.setdefault(path, []).append(f"file bm25 {score / top:.2f}")
