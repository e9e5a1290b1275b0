"""The persistent retrieval index of one workspace folder.

One SQLite file per folder, in the data dir. It is a cache: a schema version
mismatch drops and rebuilds it, and nothing in it is precious.

Why this layout:

* **FTS5, contentless, over pre-tokenized terms.** Each chunk is one FTS row with
  three columns: path terms, definition-name terms and body terms, all produced by
  :mod:`tandem.core.context.terms` and joined by spaces, so FTS5's own tokenizer only
  splits at spaces (``ascii`` with ``_`` as a token character). FTS5 keeps the
  postings compactly on disk, merges segments itself, and scores BM25 in C: a query of
  a few dozen terms over 100k chunks takes milliseconds and costs no Python memory,
  which a hand-rolled postings store could not match on the 300 MB RSS budget.
  A second FTS5 table holds one row per file (the same columns, the chunks' terms
  joined), for whole-file BM25: the ranker adds it to the chunk evidence.
  ``bm25()`` sums one term per query phrase, so a repeated query term weighs more:
  that is how :func:`search` takes per-term weights. Column weights favour a match in
  a definition's name and in the path over one in the body.
* **Contentless** (``content=''``) so the terms are not stored at all; ``detail=full``
  because ``bm25()`` needs term frequencies, which contentless tables only keep with
  positions. Deleting a contentless row needs its original column values: they are
  rebuilt from what ``chunks`` and ``files`` keep (the file text, stored as
  UTF-8, plus each chunk's range, header and names), deterministically.
* **Incremental.** ``files`` remembers mtime, size and a content hash, so a warm start
  skips unchanged files without reading them and a write of identical content is a
  no-op. One file's update is one transaction: delete its chunks, insert the new ones.
* **Threads.** WAL mode; one writer connection behind a lock, and one reader connection
  per thread, so searches on the event loop never wait for an indexing transaction.
  Bulk indexing commits every :data:`BATCH_FILES` files to keep each write short.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tandem.core.context.chunker import split_lines
from tandem.core.context.index_prepare import prepared_batches
from tandem.core.context.index_write import (
    MAX_INDEX_BYTES,
    FileUpdate,
    Prepared,
    content_hash,
    delete_file_rows,
    indexable,
    prepare,
    transaction,
    unpack,
    write_batch,
)

__all__ = [
    "MAX_INDEX_BYTES",
    "ChunkRecord",
    "Definition",
    "FileState",
    "FileUpdate",
    "Hit",
    "WorkspaceIndex",
    "content_hash",
    "indexable",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 8
"""Bumped whenever the schema, the chunker or the terms change: old indexes rebuild."""
BATCH_FILES = 200
FREQUENCIES_KEPT = 20_000
"""Terms whose counts are remembered between writes, per table."""
LINES_CACHE_FILES = 256
"""Files whose split text is kept for chunk reads (the same files recur across asks)."""
COLUMN_WEIGHTS = (2.0, 4.0, 1.0)
"""bm25() weights of the path, names and body columns."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    text BLOB
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    header TEXT,
    names TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id, start_line);
CREATE TABLE IF NOT EXISTS symbols (
    name TEXT NOT NULL,
    qualname TEXT NOT NULL,
    chunk_id INTEGER NOT NULL,
    line INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name);
CREATE INDEX IF NOT EXISTS symbols_chunk ON symbols(chunk_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    path, names, body, content='', tokenize="ascii tokenchars '_'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocab USING fts5vocab(chunk_terms, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS file_terms USING fts5(
    path, names, body, content='', tokenize="ascii tokenchars '_'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS file_vocab USING fts5vocab(file_terms, 'row');
"""


@dataclass(frozen=True)
class FileState:
    mtime_ns: int
    size: int
    content_hash: str


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    path: str
    start_line: int
    end_line: int
    kind: str
    name: str | None
    score: float


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: int
    path: str
    start_line: int
    end_line: int
    kind: str
    name: str | None
    header: str | None
    text: str


@dataclass(frozen=True)
class Definition:
    name: str
    qualname: str
    path: str
    line: int
    chunk_id: int


class WorkspaceIndex:
    """Chunks, definitions and FTS5 postings of one folder, kept in one SQLite file."""

    def __init__(self, db_path: Path, *, writable: bool = True) -> None:
        self.db_path = db_path
        self.generation = 0
        """Bumped on every change, so callers can cache what they derive from paths."""
        self.instance = uuid.uuid4().hex
        """Tells this opening from a later one of the same path (a rebuilt file)."""
        self._counts: dict[str, tuple[int, int]] = {}
        self._df_cache: dict[str, tuple[int, dict[str, int]]] = {}
        self._lines: dict[int, list[str]] = {}
        self._lines_lock = threading.Lock()
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        if not writable:
            return
        try:
            self._open_writer()
        except sqlite3.DatabaseError:
            log.warning("index %s is unreadable; starting a new one", db_path)
            self._discard_files()
            self._open_writer()

    @property
    def _conn(self) -> sqlite3.Connection:
        assert self._writer is not None
        return self._writer

    def _open_writer(self) -> None:
        self._writer = self._connect()
        self._open_schema()

    def _discard_files(self) -> None:
        if self._writer is not None:
            self._conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)

    # --- connections -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=1")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _open_schema(self) -> None:
        with self._write_lock:
            if self._stored_version() != SCHEMA_VERSION:
                self._rebuild_schema()

    def _stored_version(self) -> int | None:
        try:
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError:
            return None
        return int(row[0]) if row else None

    def _rebuild_schema(self) -> None:
        """Drop everything and create the current schema (the index is a cache)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        for virtual in (True, False):
            rows = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ).fetchall()
            for name, sql in rows:
                if (sql or "").upper().startswith("CREATE VIRTUAL") == virtual:
                    conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        conn.execute("COMMIT")
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        log.info("index %s created (schema %d)", self.db_path, SCHEMA_VERSION)

    @classmethod
    def reader(cls, db_path: Path, instance: str, generation: int) -> WorkspaceIndex:
        """A read-only view of the opening ``instance`` of an index another process
        writes, at ``generation`` (see :meth:`follow`)."""
        index = cls(db_path, writable=False)
        index.instance, index.generation = instance, generation
        return index

    def follow(self, generation: int) -> None:
        """For a read-only view: the writer is at ``generation`` now (what was derived
        at another generation is derived again)."""
        with self._lines_lock:
            if generation != self.generation:
                self.generation = generation
                self._lines.clear()

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()

    # --- writes ----------------------------------------------------------------------

    def update_file(self, path: str, text: str | None, mtime_ns: int, size: int) -> bool:
        """(Re)index one file (an open buffer: its chunks' terms are kept for the next
        time); False if its content was already indexed as is."""
        prepared = prepare(FileUpdate(path, text, mtime_ns, size), {}, remember=True)
        return self._write([prepared]) > 0

    def update_files(self, updates: Iterable[FileUpdate], workers: int = 0) -> int:
        """Index many files; returns how many changed.

        Files are chunked and tokenized on the calling thread (or, with ``workers``, on
        that many processes: see :mod:`.index_prepare`) while the previous batch of
        :data:`BATCH_FILES` is written on a helper thread: SQLite releases the GIL, so
        the two overlap. Each batch is one short transaction.
        """
        known = self._hashes()
        changed = 0
        with ThreadPoolExecutor(1, thread_name_prefix="tandem-index") as writer:
            pending: Future[int] | None = None
            for prepared in prepared_batches(updates, known, BATCH_FILES, workers):
                changed += pending.result() if pending else 0
                pending = writer.submit(self._write, prepared)
            changed += pending.result() if pending else 0
        return changed

    def _write(self, prepared: list[Prepared]) -> int:
        with self._write_lock, transaction(self._conn) as conn:
            changed = write_batch(conn, prepared)
        if changed:
            self._changed()
        return changed

    def _changed(self) -> None:
        with self._lines_lock:
            self.generation += 1
            self._lines.clear()

    def _hashes(self) -> dict[str, str]:
        return {p: state.content_hash for p, state in self.file_states().items()}

    def remove_file(self, path: str) -> bool:
        """Forget a file; False if it was not indexed."""
        with self._write_lock, transaction(self._conn) as conn:
            row = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if row is None:
                return False
            delete_file_rows(conn, row[0], path)
            conn.execute("DELETE FROM files WHERE id = ?", (row[0],))
        self._changed()
        return True

    def remove_files(self, paths: Iterable[str]) -> int:
        return sum(self.remove_file(path) for path in paths)

    # --- reads -----------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        """Every file's recorded state, read as one JSON row: SQLite hands each row over
        with the GIL released, and a thread taking it back once per file waits behind
        every busy thread of the server (1.4 s instead of 0.03 for 14,000 files)."""
        (found,) = (
            self._reader()
            .execute("SELECT json_group_array(json_array(path, mtime_ns, size, hash)) FROM files")
            .fetchone()
        )
        return {
            path: FileState(mtime, size, digest) for path, mtime, size, digest in json.loads(found)
        }

    def paths(self) -> list[str]:
        return [row[0] for row in self._reader().execute("SELECT path FROM files ORDER BY path")]

    def chunk_count(self) -> int:
        return self._count("SELECT count(*) FROM chunks")

    def document_frequencies(self, query_terms: Iterable[str]) -> dict[str, int]:
        """How many chunks contain each term (terms absent from the index are left out).

        This walks each term's posting list: on a big index, prefer
        :meth:`file_frequencies`, which walks the ten times shorter per-file lists."""
        return self._frequencies("chunk_vocab", query_terms)

    def file_frequencies(self, query_terms: Iterable[str]) -> dict[str, int]:
        """How many files contain each term (terms absent from the index are left out)."""
        return self._frequencies("file_vocab", query_terms)

    def file_count(self) -> int:
        """Files with indexed text."""
        return self._count("SELECT count(*) FROM files WHERE text IS NOT NULL")

    def _count(self, sql: str) -> int:
        """A count, made once per :attr:`generation` (every query needs some, and
        counting scans the table)."""
        current = self.generation  # read first: a write during the count bumps it again
        generation, count = self._counts.get(sql, (-1, 0))
        if generation != current:
            count = int(self._reader().execute(sql).fetchone()[0])
            self._counts[sql] = (current, count)
        return count

    def _frequencies(self, vocab: str, query_terms: Iterable[str]) -> dict[str, int]:
        """Each term's count from ``vocab``, remembered for the :attr:`generation`
        (a conversation's questions share most of their terms)."""
        terms = list(dict.fromkeys(query_terms))
        current = self.generation
        generation, known = self._df_cache.get(vocab, (-1, {}))
        if generation != current or len(known) > FREQUENCIES_KEPT:
            known = {}
            self._df_cache[vocab] = (current, known)
        missing = [t for t in terms if t not in known]
        conn = self._reader()
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT term, doc FROM {vocab} WHERE term IN ({marks})"
            found = dict(conn.execute(sql, part).fetchall())
            known.update((t, found.get(t, 0)) for t in part)
        return {t: known[t] for t in terms if known.get(t)}

    def search(self, query_terms: Sequence[str], limit: int) -> list[Hit]:
        """Chunks by BM25 over path, names and body; a term repeated weighs more.

        Ordered by the score's alias: ordering by the ``bm25()`` call while also
        selecting it evaluates it twice per matching row."""
        match = _weighted_or(query_terms)
        if not match or limit <= 0:
            return []
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        sql = (
            f"SELECT c.id, f.path, c.start_line, c.end_line, c.kind, c.name, -s.bm25 "
            f"FROM (SELECT rowid, bm25(chunk_terms, {weights}) AS bm25 FROM chunk_terms "
            f"WHERE chunk_terms MATCH ? ORDER BY bm25 LIMIT ?) s "
            f"JOIN chunks c ON c.id = s.rowid JOIN files f ON f.id = c.file_id"
        )
        rows = self._reader().execute(sql, (match, limit)).fetchall()
        hits = [Hit(*row) for row in rows]
        hits.sort(key=lambda h: (-h.score, h.path, h.start_line))
        return hits

    def search_files(self, query_terms: Sequence[str], limit: int) -> list[tuple[str, float]]:
        """Whole files by BM25 (the same columns over the whole file), best first."""
        match = _weighted_or(query_terms)
        if not match or limit <= 0:
            return []
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        rows = (
            self._reader()
            .execute(
                f"SELECT f.path, -s.bm25 FROM (SELECT rowid, bm25(file_terms, {weights}) AS bm25 "
                "FROM file_terms WHERE file_terms MATCH ? ORDER BY bm25 LIMIT ?) s "
                "JOIN files f ON f.id = s.rowid",
                (match, limit),
            )
            .fetchall()
        )
        return sorted(((path, score) for path, score in rows), key=lambda r: (-r[1], r[0]))

    def symbols(self, name: str) -> list[Definition]:
        """Definitions named ``name`` (a bare name, or a dotted qualified name)."""
        bare = name.rsplit(".", 1)[-1]
        rows = (
            self._reader()
            .execute(
                "SELECT s.name, s.qualname, f.path, s.line, s.chunk_id FROM symbols s "
                "JOIN chunks c ON c.id = s.chunk_id JOIN files f ON f.id = c.file_id "
                "WHERE s.name = ? ORDER BY f.path, s.line",
                (bare,),
            )
            .fetchall()
        )
        defs = [Definition(*row) for row in rows]
        if "." in name:
            defs = [d for d in defs if d.qualname == name or d.qualname.endswith("." + name)]
        return defs

    def describe(self, chunk_ids: Iterable[int]) -> dict[int, Hit]:
        """Location and kind of chunks, without text (score 0); unknown ids left out."""
        wanted = list(dict.fromkeys(chunk_ids))
        out: dict[int, Hit] = {}
        conn = self._reader()
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            rows = conn.execute(
                "SELECT c.id, f.path, c.start_line, c.end_line, c.kind, c.name, 0.0 "
                f"FROM chunks c JOIN files f ON f.id = c.file_id "
                f"WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
            out.update((row[0], Hit(*row)) for row in rows)
        return out

    def chunks_of(self, path: str) -> list[Hit]:
        """All chunks of a file, in line order (score 0)."""
        rows = (
            self._reader()
            .execute(
                "SELECT c.id, f.path, c.start_line, c.end_line, c.kind, c.name, 0.0 FROM chunks c "
                "JOIN files f ON f.id = c.file_id WHERE f.path = ? ORDER BY c.start_line",
                (path,),
            )
            .fetchall()
        )
        return [Hit(*row) for row in rows]

    def get_chunk(self, chunk_id: int) -> ChunkRecord | None:
        records = self.get_chunks([chunk_id])
        return records[0] if records else None

    def get_chunks(self, chunk_ids: Sequence[int]) -> list[ChunkRecord]:
        """Chunks with their text, in the order asked (unknown ids are left out).

        Each file's text is read and split once, however many of its chunks
        are asked for."""
        if not chunk_ids:
            return []
        conn = self._reader()
        marks = ",".join("?" * len(chunk_ids))
        rows = conn.execute(
            "SELECT c.id, f.path, c.start_line, c.end_line, c.kind, c.name, c.header, c.file_id "
            f"FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id IN ({marks})",
            list(chunk_ids),
        ).fetchall()
        lines = self._file_lines(sorted({row[7] for row in rows}))
        by_id: dict[int, ChunkRecord] = {}
        for cid, path, start_line, end_line, kind, name, header, fid in rows:
            body = "\n".join(lines.get(fid, [])[start_line : end_line + 1])
            by_id[cid] = ChunkRecord(cid, path, start_line, end_line, kind, name, header, body)
        return [by_id[cid] for cid in chunk_ids if cid in by_id]

    def _file_lines(self, file_ids: list[int]) -> dict[int, list[str]]:
        """Lines of files, through a small cache (cleared by every write)."""
        with self._lines_lock:
            generation = self.generation
            lines = {fid: self._lines[fid] for fid in file_ids if fid in self._lines}
        missing = [fid for fid in file_ids if fid not in lines]
        conn = self._reader()
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            found = conn.execute(
                f"SELECT id, text FROM files WHERE id IN ({','.join('?' * len(part))})", part
            )
            lines.update((fid, split_lines(unpack(blob)) if blob else []) for fid, blob in found)
        with self._lines_lock:
            if generation != self.generation:
                return lines  # a write landed meanwhile: do not cache what may be stale
            for fid in missing:
                if len(self._lines) >= LINES_CACHE_FILES:
                    self._lines.pop(next(iter(self._lines)))
                self._lines[fid] = lines.get(fid, [])
        return lines

    def file_text(self, path: str) -> str | None:
        row = self._reader().execute("SELECT text FROM files WHERE path = ?", (path,)).fetchone()
        return unpack(row[0]) if row and row[0] is not None else None


def _weighted_or(query_terms: Sequence[str]) -> str:
    """One phrase per term occurrence: ``bm25()`` sums them, so a repeat weighs more."""
    return " OR ".join(f'"{t}"' for t in query_terms if t)
