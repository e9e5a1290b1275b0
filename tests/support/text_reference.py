"""An obviously-correct model of LSP text positions, to check the real buffer against.

The document is a list of code points; LSP line breaks (``\\n``, ``\\r\\n``, ``\\r``) are
found by scanning it, and ``(line, character)`` becomes an index by adding up each code
point's width in the negotiated encoding, measured by Python's own codecs. Out of
range, it follows the LSP rules: a character past the end of its line means the end of
the line, a line past the last one means the end of the document, and a negative value
is not a position (None).
"""

from __future__ import annotations

from hypothesis import strategies as st

ENCODINGS = ["utf-8", "utf-16", "utf-32"]
_CODECS = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}


def width(point: str, encoding: str) -> int:
    codec, size = _CODECS[encoding]
    return len(point.encode(codec, "surrogatepass")) // size


def line_spans(points: list[str]) -> list[tuple[int, int]]:
    """(first index, index past the content) of each line; breaks are \\n, \\r\\n, \\r."""
    spans, start, i = [], 0, 0
    while i < len(points):
        if points[i] == "\r" and i + 1 < len(points) and points[i + 1] == "\n":
            spans.append((start, i))
            i += 2
            start = i
        elif points[i] in "\r\n":
            spans.append((start, i))
            i += 1
            start = i
        else:
            i += 1
    spans.append((start, len(points)))
    return spans


def reference_index(points: list[str], position, encoding: str) -> int | None:
    """The code-point index of a position; None when the position is not one."""
    line, character = position
    if line < 0 or character < 0:
        return None
    spans = line_spans(points)
    if line >= len(spans):
        return len(points)
    index, stop = spans[line]
    units = 0
    while index < stop and units + width(points[index], encoding) <= character:
        units += width(points[index], encoding)
        index += 1
    return index


def reference_edit(document: str, start, end, new: str, encoding: str) -> str | None:
    points = list(document)
    begin = reference_index(points, start, encoding)
    stop = reference_index(points, end, encoding)
    if begin is None or stop is None or begin > stop:
        return None
    return "".join(points[:begin] + list(new) + points[stop:])


@st.composite
def positions(draw, document: str, encoding: str, slack: bool = True):
    """A position in or near the document; ``slack`` lets it stray past the ends."""
    spans = line_spans(list(document))
    past = 3 if slack else 0
    line = draw(st.integers(0, len(spans) - 1 + past), label="line")
    first, stop = spans[line] if line < len(spans) else (0, 0)
    units = sum(width(p, encoding) for p in document[first:stop])
    return line, draw(st.integers(0, units + past), label="character")
