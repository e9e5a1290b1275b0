"""Which directories to watch, and how, so that ignored folders cost no watches.

inotify needs one watch per directory, and a recursive watch covers every folder
below it, ``node_modules`` included (a watch filter only drops events after the
fact). So the folder is split:

* a directory with no pruned (ignored, symlinked, unreadable) directory anywhere
  below it is *clean*: the topmost clean directories are watched recursively;
* a directory with a pruned one below it is watched alone (non-recursively), and
  its walked children are planned the same way.

Every walked directory is then watched exactly once and no pruned one at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from tandem.infra.scan import ScanResult


@dataclass(frozen=True)
class WatchPlan:
    recursive: tuple[str, ...]
    """Folder-relative directories watched with everything below them."""
    flat: tuple[str, ...]
    """Folder-relative directories watched alone (they hold pruned directories)."""
    dirs: frozenset[str]
    """Every directory the plan covers."""
    pruned: frozenset[str] = frozenset()
    """The topmost directories left out (ignored, symlinked, unreadable)."""

    @property
    def watched_dirs(self) -> int:
        """How many inotify watches the plan costs."""
        return len(self.dirs)

    def same_watches(self, other: WatchPlan | None) -> bool:
        return other is not None and (self.recursive, self.flat) == (other.recursive, other.flat)


def plan_watches(tree: ScanResult) -> WatchPlan:
    """The plan for a tree from :func:`tandem.infra.scan.scan_dirs`."""
    dirty = _holding_pruned(tree.pruned)
    recursive = tuple(d for d in tree.dirs if d not in dirty and (d == "" or _parent(d) in dirty))
    flat = tuple(d for d in tree.dirs if d in dirty)
    return WatchPlan(recursive, flat, frozenset(tree.dirs), frozenset(tree.pruned))


def _holding_pruned(pruned: list[str]) -> set[str]:
    """Every directory with a pruned directory somewhere below it."""
    dirty: set[str] = set()
    for rel in pruned:
        if not rel:
            continue
        parent = _parent(rel)
        while parent not in dirty:
            dirty.add(parent)
            if not parent:
                break
            parent = _parent(parent)
    return dirty


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0]
