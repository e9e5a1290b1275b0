"""Notice commits, staging and checkouts by watching a few entries of the git dir.

The workspace watcher ignores ``.git`` (its objects churn), so git state is
followed here with a handful of watches: the git dir itself, non-recursively
(``HEAD``, ``index``, ``packed-refs``), and ``refs/heads``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import watchfiles

log = logging.getLogger(__name__)

_INTERESTING = {"HEAD", "index", "packed-refs", "ORIG_HEAD", "MERGE_HEAD"}


def git_dir(repo_root: Path) -> Path | None:
    """The git dir of a work tree: ``.git``, or where a ``.git`` file points."""
    dot_git = repo_root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        first = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if first.startswith("gitdir:"):
        target = Path(first.removeprefix("gitdir:").strip())
        return target if target.is_absolute() else (repo_root / target).resolve()
    return None


def _relevant(change: watchfiles.Change, path: str) -> bool:
    p = Path(path)
    return p.name in _INTERESTING or "refs" in p.parts


async def watch_git_dir(repo_root: Path, on_change: Callable[[], None]) -> None:
    gdir = git_dir(repo_root)
    if gdir is None:
        return
    paths = [gdir] + [p for p in (gdir / "refs" / "heads",) if p.is_dir()]
    try:
        async for _ in watchfiles.awatch(
            *paths, recursive=False, watch_filter=_relevant, step=50, debounce=100
        ):
            on_change()
    except OSError as error:
        log.warning("cannot watch %s for git changes: %s", gdir, error)
