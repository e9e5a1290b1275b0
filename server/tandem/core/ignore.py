"""Which paths of a workspace folder are ignored, and which hold secrets.

Ignore sources, lowest priority first (a later source overrides an earlier one and,
within one file, the last matching line wins, as in git):

1. the built-in defaults (:data:`~tandem.core.ignore_lists.DEFAULT_IGNORES`);
2. ``info/exclude`` of the git repository that holds the folder;
3. ``.gitignore`` files of the directories above the folder, up to that repository's
   root (dropped if they would ignore the folder itself: the user opened it);
4. in each directory from the folder root down, its ``.gitignore`` then its
   ``.tandemignore``, relative to that directory (deeper directories win);
5. ``extra_patterns`` (the ``workspace.ignore`` setting), relative to the folder root.

As in git, nothing below an ignored directory can be re-included. A directory that
holds ``pyvenv.cfg`` is a virtualenv and is ignored whatever its name.

Rules files of subdirectories are read lazily, the first time a path in that
directory is asked about, and cached with the compiled rules of the directory. An
``IgnoreRules`` is never updated in place: when :meth:`IgnoreRules.is_rules_file`
says a changed path was a rules file, build a new one with :meth:`IgnoreRules.reload`.

Secrets are a separate question (:meth:`IgnoreRules.is_secret_path`): such files are
tracked, but their content is never sent to a model unless ``allow_patterns`` (the
``workspace.allow`` setting) names them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from tandem.core.ignore_lists import DEFAULT_IGNORES, RULES_FILES, SECRET_PATTERNS

log = logging.getLogger(__name__)

_GROUP = re.compile(r"\(\?P<\w+>")
_SECRET_SPEC = GitIgnoreSpec.from_lines([pattern for pattern, _ in SECRET_PATTERNS])


@dataclass(frozen=True)
class _Layer:
    """The patterns of one source, relative to one directory."""

    spec: GitIgnoreSpec
    any_match: re.Pattern[str]
    """All patterns in one regex: most paths match none, and one search says so."""
    base: str
    """Folder-relative directory the patterns are relative to ("" for the root)."""
    prefix: str = ""
    """Prepended to paths for rules files above the folder root (``"sub/"``)."""

    def check(self, rel: str, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by ``!``; None: no pattern matches."""
        local = self.prefix + (rel[len(self.base) + 1 :] if self.base else rel)
        if is_dir and not local.endswith("/"):
            local += "/"
        if self.any_match.search(local) is None:
            return None
        return self.spec.check_file(local).include


def _layer(lines: Iterable[str], base: str = "", prefix: str = "") -> _Layer | None:
    spec = GitIgnoreSpec.from_lines(lines)
    regexes = [
        _GROUP.sub("(?:", p.regex.pattern)
        for p in spec.patterns
        if p.include is not None and isinstance(p.regex, re.Pattern)
    ]
    if not regexes:
        return None
    any_match = re.compile("|".join(f"(?:{r})" for r in regexes))
    return _Layer(spec, any_match, base, prefix)


class IgnoreRules:
    """Ignore rules for one workspace folder; see the module docstring for sources."""

    def __init__(
        self,
        root: Path,
        extra_patterns: Sequence[str] = (),
        allow_patterns: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.extra_patterns = tuple(extra_patterns)
        self.allow_patterns = tuple(allow_patterns)
        extra = _layer(self.extra_patterns)
        self._extra: tuple[_Layer, ...] = (extra,) if extra else ()
        self._allow = GitIgnoreSpec.from_lines(self.allow_patterns)
        defaults = _layer(DEFAULT_IGNORES)
        assert defaults is not None
        outer = (*_outer_layers(root), defaults)
        self._chains: dict[str, tuple[_Layer, ...]] = {"": (*self._own_layers(""), *outer)}
        self._dirs: dict[str, bool] = {"": False}

    @classmethod
    def load(
        cls,
        root: Path,
        extra_patterns: Sequence[str] = (),
        allow_patterns: Sequence[str] = (),
    ) -> IgnoreRules:
        """Read the rules of the folder at ``root`` (nested rules files lazily)."""
        return cls(root, extra_patterns, allow_patterns)

    def reload(self) -> IgnoreRules:
        """Fresh rules from the same sources (after a rules file changed)."""
        return IgnoreRules(self.root, self.extra_patterns, self.allow_patterns)

    # -- questions -----------------------------------------------------------------

    def is_ignored(self, rel_posix_path: str, is_dir: bool = False) -> bool:
        """Whether a folder-relative path is ignored (anything below an ignored dir is).

        A trailing slash also marks a directory.
        """
        rel = _normalize(rel_posix_path)
        if not rel:
            return False
        if self._dir_ignored(_parent(rel)):
            return True
        if is_dir or rel_posix_path.endswith("/"):
            return self._dir_ignored(rel)
        return self._match(rel, is_dir=False)

    def is_rules_file(self, rel_posix_path: str) -> bool:
        """Whether a change to this path changes the rules (rebuild them then)."""
        rel = _normalize(rel_posix_path)
        return rel.rpartition("/")[2] in RULES_FILES or rel == ".git/info/exclude"

    def is_secret_path(self, rel_posix_path: str) -> bool:
        """Whether the file's content must never be sent (the deny list, minus allowed)."""
        rel = _normalize(rel_posix_path)
        if not rel or secret_kind(rel) is None:
            return False
        return not self._allow.match_file(rel)

    # -- per-directory caches --------------------------------------------------------

    def _match(self, rel: str, is_dir: bool) -> bool:
        for layer in (*self._extra, *self._chain(_parent(rel))):
            verdict = layer.check(rel, is_dir)
            if verdict is not None:
                return verdict
        return False

    def _dir_ignored(self, rel: str) -> bool:
        missing = []
        while rel not in self._dirs:
            missing.append(rel)
            rel = _parent(rel)
        ignored = self._dirs[rel]
        for path in reversed(missing):
            ignored = ignored or self._match(path, is_dir=True) or self._is_virtualenv(path)
            self._dirs[path] = ignored
        return ignored

    def _chain(self, rel_dir: str) -> tuple[_Layer, ...]:
        """Layers that apply to entries of ``rel_dir``, highest priority first."""
        missing = []
        while rel_dir not in self._chains:
            missing.append(rel_dir)
            rel_dir = _parent(rel_dir)
        chain = self._chains[rel_dir]
        for path in reversed(missing):
            chain = (*self._own_layers(path), *chain)
            self._chains[path] = chain
        return chain

    def _own_layers(self, rel_dir: str) -> tuple[_Layer, ...]:
        """The directory's own rules files, highest priority first."""
        directory = self.root / rel_dir if rel_dir else self.root
        layers = []
        for name in reversed(RULES_FILES):
            lines = _read_lines(directory / name)
            layer = _layer(lines, base=rel_dir) if lines else None
            if layer is not None:
                layers.append(layer)
        return tuple(layers)

    def _is_virtualenv(self, rel_dir: str) -> bool:
        return (self.root / rel_dir / "pyvenv.cfg").is_file()


def secret_kind(rel_posix_path: str) -> str | None:
    """What kind of secret file the path looks like, or None (ignores ``allow``)."""
    result = _SECRET_SPEC.check_file(_normalize(rel_posix_path))
    if not result.include or result.index is None:
        return None
    return SECRET_PATTERNS[result.index][1]


def _normalize(rel: str) -> str:
    rel = rel.replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    return rel.strip("/")


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0]


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


# -- rules from above the folder root ----------------------------------------------------


def _outer_layers(root: Path) -> list[_Layer]:
    """``.gitignore`` files above the folder and ``info/exclude``, highest first."""
    top = _repo_top(root)
    if top is None:
        return []
    layers = []
    directory = root.parent
    while top == directory or top in directory.parents:
        prefix = root.relative_to(directory).as_posix() + "/"
        layers.append(_layer(_read_lines(directory / ".gitignore"), prefix=prefix))
        directory = directory.parent
    exclude = _info_exclude(top)
    if exclude is not None:
        prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
        layers.append(_layer(_read_lines(exclude), prefix=prefix))
    found = [layer for layer in layers if layer is not None]
    if top != root and any(layer.check("", is_dir=True) for layer in found):
        log.debug("%s is ignored by its repository; its rules above are not applied", root)
        return [layer for layer in found if not layer.prefix]
    return found


def _repo_top(root: Path) -> Path | None:
    """The nearest directory at or above ``root`` holding a ``.git`` entry."""
    for directory in (root, *root.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _info_exclude(top: Path) -> Path | None:
    dot_git = top / ".git"
    if dot_git.is_dir():
        return dot_git / "info" / "exclude"
    lines = _read_lines(dot_git)
    if not lines or not lines[0].startswith("gitdir:"):
        return None
    git_dir = (top / lines[0].removeprefix("gitdir:").strip()).resolve()
    common = _read_lines(git_dir / "commondir")
    if common:
        git_dir = (git_dir / common[0].strip()).resolve()
    return git_dir / "info" / "exclude"
