"""Fast gitignore matching: pathspec's per-line regexes, merged per directory.

pathspec turns each gitignore line into a regex; trying forty of them one by one
for each of 10,000 files is slow. Here:

* a line without an inner slash (``*.log``, ``build/``, ``**/cache``) can only
  match the last path component, so it is tried on the name alone, anchored at its
  start;
* every such line of every source that applies in a directory goes into one regex,
  highest priority first, each alternative a named group: the first alternative
  that matches is the winning line;
* the other lines (``/root.txt``, ``a/**/b``) are tried on the path relative to
  their source, one regex per source.

A path is judged on its own, as git does; whether one of its directories is
ignored is a separate question (``IgnoreRules`` asks it, once per directory).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pathspec import GitIgnoreSpec

_GROUP = re.compile(r"\(\?P<\w+>")
_ANY_DEPTH = "^(?:.+/)?"
_NAME_ENDINGS = ("(?:(?P<ps_d>/)|$)", "(?P<ps_d>/)")

Winner = tuple[int, int, bool]
"""(rank of the source, line index in it, whether the line ignores)."""


@dataclass(frozen=True)
class Lines:
    """One gitignore source, compiled."""

    includes: tuple[bool | None, ...]
    """Per line: True ignores, False re-includes (``!``), None is a no-op."""
    names: tuple[tuple[int, str], ...]
    """(line index, regex) of the lines tried on the name alone, last line first."""
    paths: re.Pattern[str] | None
    """The other lines, one alternative each (group ``g<line>``), last line first."""

    @classmethod
    def compile(cls, lines: Iterable[str]) -> Lines | None:
        """None when no line can match anything (empty, comments only)."""
        patterns = GitIgnoreSpec.from_lines(lines).patterns
        names: list[tuple[int, str]] = []
        paths: list[str] = []
        for index in reversed(range(len(patterns))):
            pattern = patterns[index]
            if pattern.include is None or not isinstance(pattern.regex, re.Pattern):
                continue
            name_regex = _name_only(pattern.regex.pattern)
            if name_regex is not None:
                names.append((index, _GROUP.sub("(?:", name_regex)))
            else:
                paths.append(f"(?P<g{index}>{_GROUP.sub('(?:', pattern.regex.pattern)})")
        if not names and not paths:
            return None
        compiled = re.compile("|".join(paths)) if paths else None
        return cls(tuple(p.include for p in patterns), tuple(names), compiled)

    def path_line(self, local: str, is_dir: bool) -> int:
        """The last path line matching ``local`` (relative to the source), or -1."""
        if self.paths is None:
            return -1
        match = self.paths.match(local + "/" if is_dir else local)
        if match is None or match.lastgroup is None:
            return -1
        return int(match.lastgroup[1:])


@dataclass(frozen=True)
class Layer:
    """One source applied at one place in the folder."""

    lines: Lines
    base: str = ""
    """Folder-relative directory the lines are relative to ("" for the root)."""
    prefix: str = ""
    """Prepended to paths for sources above the folder root (``"sub/"``)."""

    def local(self, rel: str) -> str:
        """``rel`` (folder-relative, below ``base``) as the source sees it."""
        tail = rel[len(self.base) + 1 :] if self.base else rel
        return (self.prefix + tail).rstrip("/")


class Verdicts:
    """Every layer that applies inside one directory, highest priority first."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = tuple(layers)
        alternatives: list[str] = []
        self._name_winners: list[Winner] = []
        for position, layer in enumerate(self.layers):
            rank = len(self.layers) - position
            for line, regex in layer.lines.names:
                alternatives.append(f"(?P<g{len(self._name_winners)}>{regex})")
                self._name_winners.append((rank, line, bool(layer.lines.includes[line])))
        self._names = re.compile("|".join(alternatives)) if alternatives else None
        self._path_layers = [
            (len(self.layers) - position, layer)
            for position, layer in enumerate(self.layers)
            if layer.lines.paths is not None
        ]

    def winner(self, rel: str, is_dir: bool, name: str | None = None) -> Winner | None:
        """The line that decides about ``rel`` (an entry of this directory), if any."""
        best: Winner | None = None
        if self._names is not None:
            last = rel.rpartition("/")[2] if name is None else name
            match = self._names.match(last + "/" if is_dir else last)
            if match is not None and match.lastgroup is not None:
                best = self._name_winners[int(match.lastgroup[1:])]
        for rank, layer in self._path_layers:
            if best is not None and rank < best[0]:
                break
            line = layer.lines.path_line(layer.local(rel), is_dir)
            if line >= 0 and (best is None or (rank, line) > best[:2]):
                best = (rank, line, bool(layer.lines.includes[line]))
        return best

    def ignores(self, rel: str, is_dir: bool) -> bool:
        best = self.winner(rel, is_dir)
        return best is not None and best[2]


def _name_only(regex: str) -> str | None:
    """The regex for the last component alone, if the line cannot match more."""
    if not regex.startswith(_ANY_DEPTH):
        return None
    rest = regex[len(_ANY_DEPTH) :]
    for ending in _NAME_ENDINGS:
        body = rest.removesuffix(ending)
        if body != rest and "/" not in body.replace("[^/]", ""):
            return rest
    return None
