"""Line ranges under construction, shared by the chunker's splitters.

Lines are 0-based and inclusive everywhere in the chunker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ChunkKind = Literal["function", "class", "method", "section", "block", "file"]

TARGET_LINES = 40
"""Small neighbours are merged up to this many lines."""
MAX_LINES = 80
"""No chunk is longer: longer definitions are split into parts."""
MIN_LINES = 6
"""A piece shorter than this is merged with a neighbour when it fits."""
MAX_CHARS = 6_000
"""No chunk holds more characters (minified code has few, very long lines)."""
MAX_HEADER_LINES = 4


@dataclass
class Piece:
    """A chunk under construction: a line range plus what it is."""

    start: int
    end: int
    kind: ChunkKind
    name: str | None = None
    header: str | None = None
    defs: list[tuple[str, int]] = field(default_factory=list)
    owner: str | None = None
    """The split class this piece belongs to: pieces merge only within one owner."""

    @property
    def size(self) -> int:
        return self.end - self.start + 1


def cover(pieces: list[Piece], start: int, end: int, gap_kind: ChunkKind) -> list[Piece]:
    """Fill the line gaps between ``pieces`` within ``start..end`` with gap pieces."""
    out: list[Piece] = []
    cursor = start
    for piece in pieces:
        if piece.start > cursor:
            out.append(Piece(cursor, piece.start - 1, gap_kind))
        out.append(piece)
        cursor = max(cursor, piece.end + 1)
    if cursor <= end:
        out.append(Piece(cursor, end, gap_kind))
    return out


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
