"""The write side of :mod:`tandem.core.context.index`: preparing and storing files.

Preparing a file (chunking, terms, compression) is pure Python and runs outside any
transaction; storing it is a few ``executemany`` calls per batch. Deleting a file's
rows from the contentless FTS5 tables needs the exact column values that were
inserted, so they are rebuilt here from what the ``files`` and ``chunks`` tables keep,
by the same functions that built them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tandem.core import lru
from tandem.core.context.chunker import Chunk, chunk_file, split_lines
from tandem.core.context.terms import path_terms, terms, terms_text

MAX_INDEX_BYTES = 1_000_000
BODIES_KEPT = 2_048
"""Chunks whose body terms a process keeps (see :func:`_chunk_body`)."""


@dataclass(frozen=True)
class FileUpdate:
    """One file to (re)index: folder-relative posix path, its text and its stat."""

    path: str
    text: str | None
    mtime_ns: int
    size: int


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def indexable(text: str | None) -> bool:
    """Text we chunk: present, at most :data:`MAX_INDEX_BYTES` characters, not binary."""
    return text is not None and len(text) <= MAX_INDEX_BYTES and "\x00" not in text


class transaction:
    """``BEGIN IMMEDIATE`` .. ``COMMIT``, rolled back on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def batches(items: Iterable[FileUpdate], size: int) -> Iterator[list[FileUpdate]]:
    batch: list[FileUpdate] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class PreparedChunk:
    start_line: int
    end_line: int
    kind: str
    name: str | None
    header: str | None
    names: str
    names_column: str
    body_column: str
    defs: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Prepared:
    """A file made ready to write: everything but the database work."""

    update: FileUpdate
    digest: str
    text: str | None = None
    """The file's text to store."""
    path_column: str = ""
    chunks: tuple[PreparedChunk, ...] = ()


def prepare(update: FileUpdate, known: dict[str, str], remember: bool = False) -> Prepared:
    """Chunk and tokenize a file (pure Python: runs outside the write transaction);
    ``remember``: keep its chunks' body terms for the next time (see :func:`_chunk_body`)."""
    text = update.text
    digest = content_hash(text) if text is not None else ""
    if known.get(update.path) == digest or text is None or not indexable(text):
        return Prepared(update, digest)
    chunks = tuple(_prepare_chunk(chunk, remember) for chunk in chunk_file(update.path, text))
    return Prepared(update, digest, text, " ".join(path_terms(update.path)), chunks)


def _prepare_chunk(chunk: Chunk, remember: bool) -> PreparedChunk:
    names = " ".join(dict.fromkeys(qual for qual, _ in chunk.defs))
    return PreparedChunk(
        chunk.start_line,
        chunk.end_line,
        chunk.kind,
        chunk.name,
        chunk.header,
        names,
        _names_column(names),
        _chunk_body(chunk.header, chunk.text, remember),
        chunk.defs,
    )


_bodies: OrderedDict[bytes, str] = OrderedDict()
_bodies_lock = threading.Lock()


def _chunk_body(header: str | None, text: str, remember: bool) -> str:
    """:func:`_body_text`, looked up among the latest chunks that were remembered, and
    kept with them when ``remember``: an open buffer is indexed again after each pause
    in typing, and all its chunks but the edited one are the same. Other passes (a
    first index, a checkout) do not pay for the hashing, unless something is kept."""
    if not remember and not _bodies:
        return _body_text(header, text)
    keyed = text if header is None else f"{header}\x00{text}"
    key = hashlib.blake2b(keyed.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _bodies_lock:
        found = _bodies.get(key)
    if found is None:
        found = _body_text(header, text)
        if remember:
            with _bodies_lock:
                lru.put(_bodies, key, found, BODIES_KEPT)
    return found


def write_batch(conn: sqlite3.Connection, batch: list[Prepared]) -> int:
    """Write prepared files in the current transaction; returns how many changed.

    A file indexed before keeps the rows of every chunk that did not change (the same
    kind, name, header, names and text, wherever it moved): a checkout or a save
    changes a few functions of a file, and deleting a chunk's FTS row means rebuilding
    its columns, which costs about what indexing it does. Only changed chunks are
    deleted and inserted; the kept ones get their new lines and symbols."""
    changed = 0
    chunk_rows: list[tuple[Any, ...]] = []
    moved_rows: list[tuple[int, int, int]] = []
    symbol_rows: list[tuple[Any, ...]] = []
    term_rows: list[tuple[Any, ...]] = []
    file_rows: list[tuple[Any, ...]] = []
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM chunks").fetchone()[0]
    for item in batch:
        update = item.update
        row = conn.execute("SELECT id, hash FROM files WHERE path = ?", (update.path,)).fetchone()
        if row is not None and row[1] == item.digest:
            conn.execute(
                "UPDATE files SET mtime_ns = ?, size = ? WHERE id = ?",
                (update.mtime_ns, update.size, row[0]),
            )
            continue
        changed += 1
        stored = _stored_chunks(conn, row[0]) if row is not None else []
        reusable: dict[tuple[Any, ...], list[_Stored]] = {}
        for old in reversed(stored):
            reusable.setdefault(old.key, []).append(old)
        lines = split_lines(item.text) if reusable and item.text is not None else []
        file_id = _write_file_row(conn, item)
        for chunk in item.chunks:
            same = reusable.get(_key(chunk, lines)) if reusable else None
            if same:
                old = same.pop()
                cid = old.cid
                old.columns = (chunk.names_column, chunk.body_column)
                if (old.start_line, old.end_line) != (chunk.start_line, chunk.end_line):
                    moved_rows.append((chunk.start_line, chunk.end_line, cid))
            else:
                cid, next_id = next_id, next_id + 1
                location = (cid, file_id, chunk.start_line, chunk.end_line, chunk.kind)
                chunk_rows.append((*location, chunk.name, chunk.header, chunk.names))
                term_rows.append((cid, item.path_column, chunk.names_column, chunk.body_column))
            symbol_rows.extend((q.rsplit(".", 1)[-1], q, cid, ln) for q, ln in chunk.defs)
        if stored:
            _delete_stale(conn, file_id, update.path, stored)
        if item.chunks:
            file_rows.append((file_id, *_file_columns(item.path_column, item.chunks)))
    conn.executemany("UPDATE chunks SET start_line = ?, end_line = ? WHERE id = ?", moved_rows)
    conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", chunk_rows)
    conn.executemany("INSERT INTO symbols VALUES (?, ?, ?, ?)", symbol_rows)
    conn.executemany(
        "INSERT INTO chunk_terms (rowid, path, names, body) VALUES (?, ?, ?, ?)", term_rows
    )
    conn.executemany(
        "INSERT INTO file_terms (rowid, path, names, body) VALUES (?, ?, ?, ?)", file_rows
    )
    return changed


def _write_file_row(conn: sqlite3.Connection, item: Prepared) -> int:
    """Insert or update the file row (its id is kept on update)."""
    update = item.update
    blob = _pack(item.text) if item.text is not None else None
    values = (update.path, update.mtime_ns, update.size, item.digest, blob)
    return int(
        conn.execute(
            "INSERT INTO files (path, mtime_ns, size, hash, text) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET mtime_ns = excluded.mtime_ns, "
            "size = excluded.size, hash = excluded.hash, text = excluded.text RETURNING id",
            values,
        ).fetchone()[0]
    )


@dataclass
class _Stored:
    """A chunk as the index holds it, while its file is rewritten or removed."""

    cid: int
    start_line: int
    end_line: int
    kind: str
    name: str | None
    header: str | None
    names: str
    text: str
    columns: tuple[str, str] | None = None
    """Its (names, body) FTS columns, set when a new chunk keeps it."""

    @property
    def key(self) -> tuple[Any, ...]:
        """What a new chunk must equal to keep this one's rows (see :func:`_key`)."""
        return (self.kind, self.name, self.header, self.names, self.text)


def _key(chunk: PreparedChunk, lines: Sequence[str]) -> tuple[Any, ...]:
    text = "\n".join(lines[chunk.start_line : chunk.end_line + 1])
    return (chunk.kind, chunk.name, chunk.header, chunk.names, text)


def _stored_chunks(conn: sqlite3.Connection, file_id: int) -> list[_Stored]:
    """A file's chunks in line order, read before its text is overwritten; their
    symbols are deleted (each chunk the file still has writes its own anew)."""
    text_row = conn.execute("SELECT text FROM files WHERE id = ?", (file_id,)).fetchone()
    lines = split_lines(unpack(text_row[0])) if text_row and text_row[0] is not None else []
    rows = conn.execute(
        "SELECT id, start_line, end_line, kind, name, header, names FROM chunks "
        "WHERE file_id = ? ORDER BY start_line",
        (file_id,),
    ).fetchall()
    conn.execute(
        "DELETE FROM symbols WHERE chunk_id IN (SELECT id FROM chunks WHERE file_id = ?)",
        (file_id,),
    )
    return [
        _Stored(cid, start, end, kind, name, header, names, "\n".join(lines[start : end + 1]))
        for cid, start, end, kind, name, header, names in rows
    ]


def _delete_stale(conn: sqlite3.Connection, file_id: int, path: str, stored: list[_Stored]) -> None:
    """Delete a file's file-level FTS row and the rows of the ``stored`` chunks no new
    chunk kept. FTS5 deletes need the exact columns inserted: a kept chunk's equal its
    new chunk's; the others are rebuilt from the stored text."""
    path_column = " ".join(path_terms(path))
    old: list[PreparedChunk] = []
    stale: list[tuple[int]] = []
    for chunk in stored:
        if chunk.columns is None:
            names, body = _names_column(chunk.names), _chunk_body(chunk.header, chunk.text, False)
            conn.execute(
                "INSERT INTO chunk_terms (chunk_terms, rowid, path, names, body) "
                "VALUES ('delete', ?, ?, ?, ?)",
                (chunk.cid, path_column, names, body),
            )
            stale.append((chunk.cid,))
        else:
            names, body = chunk.columns
        old.append(PreparedChunk(chunk.start_line, 0, "", None, None, "", names, body, ()))
    if old:
        conn.execute(
            "INSERT INTO file_terms (file_terms, rowid, path, names, body) "
            "VALUES ('delete', ?, ?, ?, ?)",
            (file_id, *_file_columns(path_column, old)),
        )
    conn.executemany("DELETE FROM chunks WHERE id = ?", stale)


def delete_file_rows(conn: sqlite3.Connection, file_id: int, path: str) -> None:
    """Remove a file's chunks, their symbols and FTS rows (not the file row)."""
    _delete_stale(conn, file_id, path, _stored_chunks(conn, file_id))


def _file_columns(path_column: str, chunks: Sequence[PreparedChunk]) -> tuple[str, str, str]:
    """The file-level FTS row: the chunks' columns joined, in line order."""
    ordered = sorted(chunks, key=lambda c: c.start_line)
    names = " ".join(c.names_column for c in ordered if c.names_column)
    return path_column, names, " ".join(c.body_column for c in ordered)


def _body_text(header: str | None, text: str) -> str:
    return terms_text(f"{header}\n{text}" if header else text)


def _names_column(names: str) -> str:
    return " ".join(terms(names))


def _pack(text: str) -> bytes:
    """UTF-8, uncompressed: every ask reads the files its chunks come from, and
    decompressing them was half the time of fetching the chunks."""
    return text.encode("utf-8", "surrogatepass")


def unpack(blob: bytes) -> str:
    return blob.decode("utf-8", "surrogatepass")
