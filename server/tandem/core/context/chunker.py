"""Cut a file into chunks a reader (and a ranker) can use on their own.

A chunk is a unit of meaning: a function, a class, a method of a big class, a
Markdown section, a run of module-level statements. Retrieval ranks chunks and the
context is assembled from them, so their size is a trade: small enough that a token
budget holds the few that matter from many files, big enough that each shows a whole
definition. Pieces are capped at :data:`MAX_LINES` lines / :data:`MAX_CHARS`
characters, and neighbours under :data:`MIN_LINES` are merged up to
:data:`TARGET_LINES`.

Lines are **0-based and inclusive** (``start_line``..``end_line``), like LSP ranges,
and split like LSP splits them (``\\n``, ``\\r\\n``, ``\\r``).

* Python: :mod:`tandem.core.context.chunk_python` (definitions, big classes split
  into methods carrying the ``class`` line as ``header``, module code as blocks).
* Markdown / reStructuredText / plain text: sections at headings.
* Anything else: the generic splitter in :mod:`tandem.core.context.chunk_text`.
* A piece still over the cap is cut at blank lines or dedents; each later part
  repeats the definition's signature (and class line) in ``header``.

``defs`` lists the definitions inside a chunk (qualified name, 0-based line), the
members of classes included: the index answers "where is ``X`` defined" from them.
The chunker never raises on odd input; at worst it falls back to plain blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tandem.core.context.chunk_python import python_pieces
from tandem.core.context.chunk_text import generic_pieces, heading_pieces
from tandem.core.context.pieces import (
    MAX_CHARS,
    MAX_HEADER_LINES,
    MAX_LINES,
    MIN_LINES,
    TARGET_LINES,
    ChunkKind,
    Piece,
    indent_of,
)

__all__ = ["MAX_LINES", "Chunk", "ChunkKind", "chunk_file", "split_lines"]

_PYTHON = (".py", ".pyi", ".pyw")
_MARKDOWN = (".md", ".markdown", ".mdx")
_RST = (".rst", ".txt", ".rest")


@dataclass(frozen=True)
class Chunk:
    path: str
    start_line: int
    end_line: int
    kind: ChunkKind
    name: str | None
    text: str
    header: str | None = None
    """Context lines shown above the text (the class line, a split signature)."""
    defs: tuple[tuple[str, int], ...] = field(default_factory=tuple)
    """Definitions inside the chunk: (qualified name, 0-based line)."""


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them: split at ``\\n``, ``\\r\\n`` and ``\\r`` only."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def chunk_file(path: str, text: str) -> list[Chunk]:
    """Chunks of ``text`` (the content of ``path``) in line order; together they cover
    every non-blank line exactly once."""
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        return []
    pieces = _pieces(path.lower(), text, lines)
    pieces = _merge_small(_enforce_cap(pieces, lines), lines)
    return [_to_chunk(path, piece, lines) for piece in _trimmed(pieces, lines)]


def _pieces(lower: str, text: str, lines: list[str]) -> list[Piece]:
    found: list[Piece] | None = None
    if lower.endswith(_PYTHON):
        found = python_pieces(text if "\r" not in text else "\n".join(lines), lines)
    elif lower.endswith(_MARKDOWN + _RST):
        found = heading_pieces(lines, rst=lower.endswith(_RST))
    return found or generic_pieces(lines, 0, len(lines) - 1, None)


def _to_chunk(path: str, piece: Piece, lines: list[str]) -> Chunk:
    return Chunk(
        path=path,
        start_line=piece.start,
        end_line=piece.end,
        kind=piece.kind,
        name=piece.name,
        text="\n".join(lines[piece.start : piece.end + 1]),
        header=piece.header,
        defs=tuple(piece.defs),
    )


def _trimmed(pieces: list[Piece], lines: list[str]) -> list[Piece]:
    """Drop leading/trailing blank lines of each piece, and pieces left empty."""
    out = []
    for piece in pieces:
        start, end = piece.start, piece.end
        while start <= end and not lines[start].strip():
            start += 1
        while end >= start and not lines[end].strip():
            end -= 1
        if start <= end:
            out.append(replace(piece, start=start, end=end))
    return out


def _enforce_cap(pieces: list[Piece], lines: list[str]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if piece.size <= MAX_LINES and _chars(piece, lines) <= MAX_CHARS:
            out.append(piece)
        else:
            out.extend(_split_long(piece, lines))
    return out


def _chars(piece: Piece, lines: list[str]) -> int:
    span = lines[piece.start : piece.end + 1]
    return sum(map(len, span)) + len(span)


def _split_long(piece: Piece, lines: list[str]) -> list[Piece]:
    """Cut an over-long piece; parts after the first repeat its signature as header."""
    if piece.kind in ("class", "block") and piece.name is not None and piece.size > MAX_LINES:
        inner = generic_pieces(lines, piece.start + 1, piece.end, piece.name)
        if len(inner) > 1:
            head = Piece(piece.start, inner[0].start - 1, piece.kind, piece.name, piece.header)
            head.defs = [d for d in piece.defs if d[1] < inner[0].start]
            signature = _signature(piece, lines)
            for sub in inner:
                sub.header = _join_headers(piece.header, signature)
            return _enforce_cap([head, *inner], lines)
    bounds = _cut_points(piece, lines)
    signature = _signature(piece, lines)
    parts: list[Piece] = []
    for n, (start, end) in enumerate(bounds):
        header = piece.header if n == 0 else _join_headers(piece.header, signature)
        defs = [d for d in piece.defs if start <= d[1] <= end]
        parts.append(Piece(start, end, piece.kind, piece.name, header, defs))
    return parts


def _join_headers(*headers: str | None) -> str | None:
    joined = "\n".join(h for h in headers if h)
    return joined or None


def _signature(piece: Piece, lines: list[str]) -> str | None:
    """The first code lines of a definition, up to the line that ends its signature."""
    if piece.name is None:
        return None
    if piece.kind == "section":
        titled = (lines[i] for i in range(piece.start, piece.end + 1) if piece.name in lines[i])
        return next(titled, None)
    first = piece.start
    while first < piece.end and (
        not lines[first].strip() or lines[first].lstrip().startswith(("@", "#", "//", "*", "/*"))
    ):
        first += 1
    last = first
    while last < min(piece.end, first + MAX_HEADER_LINES - 1) and not _ends_signature(lines[last]):
        last += 1
    return "\n".join(lines[first : last + 1])


def _ends_signature(line: str) -> bool:
    stripped = line.rstrip()
    return stripped.endswith((":", "{", "=>", ";")) or stripped.endswith(") ->")


def _cut_points(piece: Piece, lines: list[str]) -> list[tuple[int, int]]:
    """Line ranges of at most MAX_LINES / MAX_CHARS, cut at blank lines or dedents when
    possible."""
    bounds: list[tuple[int, int]] = []
    start = piece.start
    while start <= piece.end:
        limit = _hard_limit(start, piece.end, lines)
        if limit >= piece.end:
            bounds.append((start, piece.end))
            break
        cut = _best_cut(start, limit, lines)
        bounds.append((start, cut))
        start = cut + 1
    return bounds


def _hard_limit(start: int, end: int, lines: list[str]) -> int:
    chars = 0
    for i in range(start, min(end, start + MAX_LINES - 1) + 1):
        chars += len(lines[i]) + 1
        if chars > MAX_CHARS and i > start:
            return i - 1
    return min(end, start + MAX_LINES - 1)


def _best_cut(start: int, limit: int, lines: list[str]) -> int:
    """Last line of the part: before a blank line or a shallow line, late in the window."""
    low = start + (limit - start) // 2
    best, best_indent = limit, None
    for i in range(limit, low, -1):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not nxt.strip():
            return i
        indent = indent_of(nxt)
        if best_indent is None or indent < best_indent:
            best, best_indent = i, indent
    return best


def _merge_small(pieces: list[Piece], lines: list[str]) -> list[Piece]:
    """Merge runs of small neighbours (imports, constants, one-line helpers)."""
    out: list[Piece] = []
    for piece in pieces:
        prev = out[-1] if out else None
        # _mergeable first: it is cheap, and bounds the lines _chars then counts
        if prev is not None and _mergeable(prev, piece) and _fits(prev, piece, lines):
            out[-1] = _merged(prev, piece)
        else:
            out.append(piece)
    return out


def _fits(a: Piece, b: Piece, lines: list[str]) -> bool:
    return _chars(a, lines) + _chars(b, lines) <= MAX_CHARS


def _mergeable(a: Piece, b: Piece) -> bool:
    if a.owner != b.owner or a.end + 1 != b.start:
        return False
    if a.header != b.header and not (a.kind == "class" and a.header is None):
        return False
    if a.size + b.size > TARGET_LINES:
        return False
    small = min(a.size, b.size) < MIN_LINES
    return small or (a.kind == "block" and b.kind == "block")


def _merged(a: Piece, b: Piece) -> Piece:
    """One piece named after its bigger part, or after a class whose line opens it."""
    opens_class = a.kind == "class" and a.header is None and a.name is not None
    bigger = a if (a.size >= b.size and a.name) or opens_class else b if b.name else a
    kind: ChunkKind = bigger.kind if a.kind == b.kind or bigger.name else "block"
    return Piece(a.start, b.end, kind, bigger.name, a.header, a.defs + b.defs, a.owner)
