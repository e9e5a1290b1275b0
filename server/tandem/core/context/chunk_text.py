"""Splitters for everything that is not Python: headings, and a generic one.

Markdown and reStructuredText are cut at headings (ATX ``#`` and setext / RST
underlines, overlines included; fenced code is skipped). Any other text goes to a
language-agnostic splitter: a definition keyword (``function``, ``class``, ``fn``,
``func``, ``struct``, ``impl``, ``interface``, ``trait``...), an arrow function bound
to a name, or a C-style signature at the outermost indentation starts a piece, and
so does the first line of a paragraph (after a blank line). Comment and attribute
lines right above a definition go with it. An over-long piece is split again one
indentation level deeper, which finds the methods of classes, ``impl`` blocks and
the like.
"""

from __future__ import annotations

import re

from tandem.core.context.pieces import ChunkKind, Piece, indent_of

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")


def heading_pieces(lines: list[str], rst: bool) -> list[Piece] | None:
    starts: list[tuple[int, str]] = []
    fenced = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced:
            continue
        title = _heading_at(lines, i, rst)
        if title is not None:
            starts.append(_with_overline(lines, i, title))
    if not starts:
        return None
    pieces = [Piece(0, starts[0][0] - 1, "block")] if starts[0][0] > 0 else []
    for n, (line_no, title) in enumerate(starts):
        end = starts[n + 1][0] - 1 if n + 1 < len(starts) else len(lines) - 1
        pieces.append(Piece(line_no, end, "section", title))
    return pieces


def _heading_at(lines: list[str], i: int, rst: bool) -> str | None:
    match = _MD_HEADING.match(lines[i])
    if match and not rst:
        return match.group(2) or None
    text = lines[i].strip()
    if not text or i + 1 >= len(lines) or _RST_UNDERLINE.match(lines[i]):
        return None
    under = lines[i + 1].rstrip()
    if _RST_UNDERLINE.match(under) and len(under) >= len(text) >= 1:
        return text
    if not rst and under and set(under.strip()) <= {"="} and len(under.strip()) >= 3:
        return text
    return None


def _with_overline(lines: list[str], i: int, title: str) -> tuple[int, str]:
    if i > 0 and _RST_UNDERLINE.match(lines[i - 1]):
        return i - 1, title
    return i, title


# --- other languages -------------------------------------------------------------

_DEF_KEYWORDS = re.compile(
    r"^\s*(?:(?:export|default|pub(?:\([^)]*\))?|public|private|protected|internal|static|"
    r"abstract|final|sealed|open|override|async|unsafe|extern|inline|virtual|const|"
    r"partial|data|local|declare)\s+)*"
    r"(?:function\*?|def|class|fn|func|interface|struct|impl|module|trait|enum|type|"
    r"union|namespace|object|record|protocol|extension|macro_rules!|proc|sub|method|"
    r"contract|defmodule|defp?|mod)\s+"
    r"([A-Za-z_$][\w$]*(?:[.:][A-Za-z_$][\w$]*)*)"
)
_ASSIGNED_FN = re.compile(
    r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*"
    r"(?:async\s+)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)"
)
_C_LIKE = re.compile(
    r"^(?:[A-Za-z_][\w:<>,*&\[\]\s]*?[\s*&])?([A-Za-z_][\w:~]*)\s*\([^;]*\)?\s*"
    r"(?:const\s*)?(?:\{|\s*$)"
)
_CLOSERS = frozenset({"}", ")", "]", "})", "end", "fi", "done", "esac", "endif"})
_C_NOT_DEF = frozenset({"if", "for", "while", "switch", "return", "else", "catch", "do"})
_DEF_KIND: dict[str, ChunkKind] = {
    "class": "class",
    "interface": "class",
    "struct": "class",
    "impl": "class",
    "trait": "class",
    "enum": "class",
    "object": "class",
    "record": "class",
    "protocol": "class",
    "module": "class",
    "namespace": "class",
    "defmodule": "class",
    "type": "class",
    "mod": "class",
    "contract": "class",
}


def definition_at(line: str) -> tuple[ChunkKind, str] | None:
    """(kind, name) if ``line`` opens a definition in a common language, else None."""
    match = _ASSIGNED_FN.match(line)
    if match:
        return "function", match.group(1)
    match = _DEF_KEYWORDS.match(line)
    if match:
        keyword = re.findall(r"[A-Za-z_!]+", line[: match.start(1)])[-1]
        return _DEF_KIND.get(keyword, "function"), match.group(1)
    match = _C_LIKE.match(line)
    if match and match.group(1) not in _C_NOT_DEF and not line.startswith((" ", "\t")):
        return "function", match.group(1)
    return None


def generic_pieces(lines: list[str], start: int, end: int, owner: str | None) -> list[Piece]:
    """Split ``start..end`` at its outermost definitions and blank-line paragraphs."""
    level = min(
        (indent_of(lines[i]) for i in range(start, end + 1) if _sets_level(lines[i])),
        default=0,
    )
    pieces: list[Piece] = []
    for i in range(start, end + 1):
        line = lines[i]
        if not line.strip() or indent_of(line) != level:
            continue
        found = definition_at(line)
        if found is None and i > start and lines[i - 1].strip():
            continue
        if found and pieces and _only_comments(lines, pieces[-1].start, i - 1):
            _rename(pieces[-1], found, owner, i)
            continue
        piece = Piece(_comment_start(lines, i, start, pieces), end, "block")
        if found:
            _rename(piece, found, owner, i)
        if pieces:
            pieces[-1].end = piece.start - 1
        pieces.append(piece)
    if not pieces:
        return [Piece(start, end, "block")]
    pieces[0].start = start
    return pieces


def _sets_level(line: str) -> bool:
    """A line that counts for the indentation level: not blank, not a lone closer."""
    stripped = line.strip()
    return bool(stripped) and stripped.rstrip(";,") not in _CLOSERS


def _only_comments(lines: list[str], first: int, last: int) -> bool:
    span = [lines[i] for i in range(first, last + 1) if lines[i].strip()]
    return bool(span) and all(_is_comment(line) for line in span)


def _rename(piece: Piece, found: tuple[ChunkKind, str], owner: str | None, line: int) -> None:
    kind, name = found
    qual = f"{owner}.{name}" if owner else name
    if piece.name is None:
        piece.kind = "method" if owner and kind == "function" else kind
        piece.name = qual
    piece.defs.append((qual, line))


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(("//", "#", "/*", "*", "--", ";;", "@", "///"))


def _comment_start(lines: list[str], i: int, floor: int, pieces: list[Piece]) -> int:
    """Pull the comment/attribute lines directly above a definition into it."""
    low = max(floor, pieces[-1].start + 1 if pieces else floor)
    while i - 1 >= low and lines[i - 1].strip() and _is_comment(lines[i - 1]):
        i -= 1
    return i
