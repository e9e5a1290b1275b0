"""The text of one editor buffer, kept as lines so an edit costs what it touches.

Positions are LSP ``(line, character)`` pairs. What a character counts depends on the
position encoding the client and server agreed on: UTF-16 code units (the LSP default,
an astral character such as "😀" counts 2), UTF-8 bytes, or UTF-32 code points (one per
Python ``str`` character). Line breaks are the LSP ones: ``\\n``, ``\\r\\n`` and ``\\r``.

Rounding rules, the same everywhere a position is read:

- a character past the end of its line means the end of the line, before its line
  break (as the LSP specification says);
- a character that falls inside a character (between the two halves of a surrogate
  pair, between the bytes of a multi-byte UTF-8 sequence) means the start of it;
- a line past the last one means the end of the document, whatever its character
  (clients send ``(line_count, 0)`` for it; the LSP reference implementation,
  vscode-languageserver-textdocument, clamps any larger line the same way).

A negative value is not an LSP position (both are ``uinteger``): it raises
:class:`InvalidArguments` and changes nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, islice
from typing import Literal

from tandem.core.errors import InvalidArguments

Encoding = Literal["utf-8", "utf-16", "utf-32"]
Position = tuple[int, int]

# Zero-width split points: after every "\n", and after a "\r" that does not start "\r\n".
_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")
# str.splitlines also breaks on these; LSP does not.
_NOT_LSP_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BREAKS = ("\r\n", "\n", "\r")


def split_lines(text: str) -> list[str]:
    """Split on LSP line breaks, keeping them; the last item has none and may be empty."""
    if any(char in text for char in _NOT_LSP_BREAKS):
        return _LINE_END.split(text)
    lines = text.splitlines(keepends=True)  # ten times faster than the regex
    if not lines or lines[-1].endswith(("\n", "\r")):
        lines.append("")
    return lines


def strip_break(line: str) -> str:
    for brk in _BREAKS:
        if line.endswith(brk):
            return line[: -len(brk)]
    return line


def _width(char: str, encoding: Encoding) -> int:
    """How many units one code point takes (lone surrogates count as in surrogatepass)."""
    point = ord(char)
    if encoding == "utf-16":
        return 2 if point > 0xFFFF else 1
    if encoding == "utf-8":
        return 1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4
    return 1


def index_of(content: str, character: int, encoding: Encoding) -> int:
    """The ``str`` index of an encoded character offset in a line without its break.

    Past the end clamps to the end; inside a character rounds down to its start.
    """
    if encoding == "utf-32" or content.isascii():
        return min(character, len(content))
    units = 0
    for index, char in enumerate(content):
        units += _width(char, encoding)
        if units > character:
            return index
    return len(content)


def units_of(prefix: str, encoding: Encoding) -> int:
    """How many encoded units ``prefix`` takes."""
    if encoding == "utf-32" or prefix.isascii():
        return len(prefix)
    if encoding == "utf-16":
        return len(prefix.encode("utf-16-le", "surrogatepass")) // 2
    return len(prefix.encode("utf-8", "surrogatepass"))


class TextBuffer:
    """A document's text as a list of lines, each keeping its line break.

    The last line never has a break (a text ending in a break has an empty last line),
    so there is always at least one line, as in LSP.
    """

    def __init__(self, text: str, encoding: Encoding = "utf-16") -> None:
        self.encoding: Encoding = encoding
        self._lines: list[str] = split_lines(text)
        self._text: str | None = text
        self._length = len(text)
        self._size = units_of(text, "utf-8")

    @property
    def text(self) -> str:
        """The whole text, joined on first read after an edit and then cached."""
        if self._text is None:
            self._text = "".join(self._lines)
        return self._text

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def __len__(self) -> int:
        """Length of the text in ``str`` characters (code points)."""
        return self._length

    @property
    def utf8_size(self) -> int:
        """Size of the text in UTF-8 bytes, kept up to date by every edit."""
        return self._size

    def line(self, index: int) -> str:
        """Line ``index`` without its line break."""
        if not 0 <= index < len(self._lines):
            raise InvalidArguments(
                f"line {index} is outside the document (0..{self.line_count - 1})"
            )
        return strip_break(self._lines[index])

    def apply_change(self, start: Position | None, end: Position | None, text: str) -> None:
        """Replace the range ``start``..``end`` with ``text``; no range replaces everything.

        Validates both positions before changing anything. Costs the size of the
        lines touched plus ``text``, never the size of the document.
        """
        if start is None and end is None:
            self._replace_all(text)
            return
        if start is None or end is None:
            raise InvalidArguments("an edit range needs both a start and an end")
        first, begin = self._locate(start, "edit start")
        last, stop = self._locate(end, "edit end")
        if (first, begin) > (last, stop):
            raise InvalidArguments(f"edit start {start} is after its end {end}")
        self._splice(first, begin, last, stop, text)

    def offset_at(self, position: Position) -> int:
        """The ``str`` offset of a position in :attr:`text` (costs the lines before it)."""
        line, index = self._locate(position, "position")
        return sum(map(len, islice(self._lines, line))) + index

    def position_at(self, offset: int) -> Position:
        """The position of a ``str`` offset in :attr:`text` (costs the lines before it).

        An offset between the "\\r" and "\\n" of a break means the end of that line.
        """
        if not 0 <= offset <= self._length:
            raise InvalidArguments(f"offset {offset} is outside the text (0..{self._length})")
        ends = list(accumulate(map(len, self._lines)))
        line = min(bisect_right(ends, offset), len(ends) - 1)
        raw = self._lines[line]
        content = strip_break(raw)
        index = min(offset - (ends[line] - len(raw)), len(content))
        return line, units_of(content[:index], self.encoding)

    def _replace_all(self, text: str) -> None:
        self._lines = split_lines(text)
        self._text = text
        self._length = len(text)
        self._size = units_of(text, "utf-8")

    def _locate(self, position: Position, what: str) -> tuple[int, int]:
        """Turn a position into (line index, ``str`` index in that line), or raise."""
        line, character = position
        count = len(self._lines)
        if line < 0 or character < 0:
            raise InvalidArguments(f"{what} {position} has a negative value")
        if line >= count:
            return count - 1, len(self._lines[-1])
        return line, index_of(strip_break(self._lines[line]), character, self.encoding)

    def _splice(self, first: int, begin: int, last: int, stop: int, text: str) -> None:
        """Re-split only the touched lines, joining a "\\r" before them with a "\\n" after."""
        old = self._lines[first : last + 1]
        new = old[0][:begin] + text + old[-1][stop:]
        if first > 0 and new.startswith("\n") and self._lines[first - 1].endswith("\r"):
            first -= 1
            old.insert(0, self._lines[first])
            new = old[0] + new
        lines = split_lines(new)
        if last < len(self._lines) - 1:
            lines.pop()  # the kept break of the last touched line leaves an empty tail
        self._lines[first : last + 1] = lines
        self._length += len(new) - sum(map(len, old))
        self._size += units_of(new, "utf-8") - sum(units_of(line, "utf-8") for line in old)
        self._text = None
