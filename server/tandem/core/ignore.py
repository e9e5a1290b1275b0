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
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pathspec import GitIgnoreSpec

from tandem.core.ignore_lists import DEFAULT_IGNORES, RULES_FILES, SECRET_PATTERNS
from tandem.core.ignore_match import Layer, Lines, Verdicts

log = logging.getLogger(__name__)

_SECRET_LINES = Lines.compile(pattern for pattern, _ in SECRET_PATTERNS)
assert _SECRET_LINES is not None and len(_SECRET_LINES.includes) == len(SECRET_PATTERNS)
_SECRETS = Verdicts([Layer(_SECRET_LINES)])
_OUTSIDE = "\0outside"
"""What ``_link_target`` answers for a symlink that leads out of the folder."""


def _layer(lines: Iterable[str], base: str = "", prefix: str = "") -> Layer | None:
    compiled = Lines.compile(lines)
    return Layer(compiled, base, prefix) if compiled is not None else None


class IgnoreRules:
    """Ignore rules for one workspace folder; see the module docstring for sources."""

    def __init__(
        self,
        root: Path,
        extra_patterns: Sequence[str] = (),
        allow_patterns: Sequence[str] = (),
    ) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)
        self.extra_patterns = tuple(extra_patterns)
        self.allow_patterns = tuple(allow_patterns)
        self._allow = GitIgnoreSpec.from_lines(self.allow_patterns)
        extra = _layer(self.extra_patterns)
        self._extra: tuple[Layer, ...] = (extra,) if extra else ()
        defaults = _layer(DEFAULT_IGNORES)
        assert defaults is not None
        root_chain = (
            *self._extra,
            *self._own_layers(""),
            *_outer_layers(root),
            defaults,
        )
        self._chains: dict[str, Verdicts] = {"": Verdicts(root_chain)}
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
        is_dir = is_dir or rel_posix_path.endswith("/")
        parent = _parent(rel)
        if self._dir_ignored(parent):
            return True
        if is_dir:
            return self._dir_ignored(rel)
        return self._verdicts(parent).ignores(rel, is_dir=False)

    def is_entry_ignored(self, rel_dir: str, name: str, is_dir: bool) -> bool:
        """``is_ignored`` for a walker listing ``rel_dir``, known not to be ignored."""
        rel = f"{rel_dir}/{name}" if rel_dir else name
        if is_dir:
            return self._dir_ignored(rel)
        return self._verdicts(rel_dir).ignores(rel, is_dir=False)

    def is_rules_file(self, rel_posix_path: str) -> bool:
        """Whether a change to this path changes the rules (rebuild them then)."""
        rel = _normalize(rel_posix_path)
        return rel.rpartition("/")[2] in RULES_FILES or rel == ".git/info/exclude"

    def is_secret_path(self, rel_posix_path: str) -> bool:
        """Whether the file's content must never be sent (the deny list, minus allowed).

        A path through a symlink is judged by where it leads too: a link to a denied or
        ignored file is withheld like its target, and one that leads out of the folder
        is always withheld (``workspace.allow`` must name the target, not the link).
        """
        rel = _normalize(rel_posix_path)
        if not rel:
            return False
        if self._denied(rel):
            return True
        target = self._link_target(rel)
        if target is None:
            return False
        return target is _OUTSIDE or self._denied(target) or self.is_ignored(target)

    def _denied(self, rel: str) -> bool:
        return secret_kind(rel) is not None and not self._allow.match_file(rel)

    def _link_target(self, rel: str) -> str | None:
        """Where ``rel`` really leads, folder-relative, if a symlink is on the way
        (:data:`_OUTSIDE` when it leaves the folder); None for a plain path."""
        real = os.path.realpath(self.root / rel)
        if real == os.path.join(self._real_root, rel):
            return None
        if not real.startswith(self._real_root.rstrip(os.sep) + os.sep):
            return _OUTSIDE
        return Path(real).relative_to(self._real_root).as_posix()

    # -- per-directory caches --------------------------------------------------------

    def _dir_ignored(self, rel: str) -> bool:
        missing = []
        while rel not in self._dirs:
            missing.append(rel)
            rel = _parent(rel)
        ignored = self._dirs[rel]
        for path in reversed(missing):
            ignored = (
                ignored
                or self._verdicts(_parent(path)).ignores(path, is_dir=True)
                or self._is_virtualenv(path)
            )
            self._dirs[path] = ignored
        return ignored

    def _verdicts(self, rel_dir: str) -> Verdicts:
        """The merged rules for entries of ``rel_dir`` (built once per directory)."""
        missing = []
        while rel_dir not in self._chains:
            missing.append(rel_dir)
            rel_dir = _parent(rel_dir)
        verdicts = self._chains[rel_dir]
        for path in reversed(missing):
            own = self._own_layers(path)
            if own:  # a directory without rules files shares its parent's
                inherited = verdicts.layers[len(self._extra) :]
                verdicts = Verdicts((*self._extra, *own, *inherited))
            self._chains[path] = verdicts
        return verdicts

    def _own_layers(self, rel_dir: str) -> tuple[Layer, ...]:
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
    winner = _SECRETS.winner(_normalize(rel_posix_path), is_dir=False)
    if winner is None or not winner[2]:
        return None
    return SECRET_PATTERNS[winner[1]][1]


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


def _outer_layers(root: Path) -> list[Layer]:
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
    winner = Verdicts(found).winner("", is_dir=True, name=root.name) if top != root else None
    if winner is not None and winner[2]:
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
