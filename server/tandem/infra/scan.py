"""Walk a workspace folder: which files are tracked, which folders exist, and reading text.

The walk prunes ignored directories (it never lists ``node_modules``), never follows
a symlinked directory (so symlink loops cannot trap it, and nothing outside the
folder is reached through one), and tracks a symlinked file only when its target
lies inside the folder. Files that vanish mid-walk are left out; unreadable
directories and files are reported in ``skipped``.

Whether a file is binary is decided when it is read (:func:`read_text`), not here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from tandem.core.ignore import IgnoreRules

log = logging.getLogger(__name__)

BINARY_SAMPLE = 8192
"""Bytes looked at to decide whether a file is text."""
MAX_BAD_SHARE = 0.1
"""Share of undecodable UTF-8 in the sample above which a file counts as binary."""

TOO_LARGE = "too large"
UNREADABLE = "unreadable"
OUTSIDE = "symlink outside workspace"
SYMLINKED_DIR = "symlinked folder"
BROKEN_LINK = "broken symlink"


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    files: dict[str, FileStat] = field(default_factory=dict)
    """Folder-relative posix path -> size and mtime, for every tracked file."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Path -> why it is not tracked (:data:`TOO_LARGE`, :data:`UNREADABLE`, ...)."""
    dirs: list[str] = field(default_factory=list)
    """Every directory walked, parents first; ``""`` is the folder itself."""
    pruned: list[str] = field(default_factory=list)
    """Directories not walked: ignored, symlinked and unreadable ones."""


def scan(root: Path, rules: IgnoreRules, max_file_bytes: int, under: str = "") -> ScanResult:
    """Walk ``root`` (or only its subdirectory ``under``) and return the tracked files.

    Blocking: run it in a thread. Paths are relative to ``root`` either way.
    """
    return _Walker(root, rules, max_file_bytes, with_files=True).walk(under)


def scan_dirs(root: Path, rules: IgnoreRules) -> ScanResult:
    """The directory tree only (``files`` stays empty): what a watcher needs."""
    return _Walker(root, rules, 0, with_files=False).walk("")


class _Walker:
    def __init__(self, root: Path, rules: IgnoreRules, limit: int, with_files: bool) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.rules = rules
        self.limit = limit
        self.with_files = with_files
        self.result = ScanResult()

    def walk(self, under: str) -> ScanResult:
        stack = [under]
        while stack:
            stack.extend(reversed(self._list(stack.pop())))
        return self.result

    def _list(self, rel_dir: str) -> list[str]:
        """Record the files of one directory; return the subdirectories to walk."""
        path = os.path.join(self.root, rel_dir) if rel_dir else str(self.root)
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=_name)
        except FileNotFoundError:
            return []
        except OSError as error:
            log.debug("cannot list %s: %s", path, error)
            self.result.skipped[rel_dir or "."] = UNREADABLE
            self.result.pruned.append(rel_dir)
            return []
        self.result.dirs.append(rel_dir)
        subdirs = []
        ignored = self.rules.is_entry_ignored
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if self._is_dir(entry):
                if self._walkable(entry, rel):
                    subdirs.append(rel)
            elif self.with_files and not ignored(rel_dir, entry.name, False):
                self._file(entry, rel)
        return subdirs

    @staticmethod
    def _is_dir(entry: os.DirEntry[str]) -> bool:
        try:
            return entry.is_dir()
        except OSError:
            return False

    def _walkable(self, entry: os.DirEntry[str], rel: str) -> bool:
        if self.rules.is_ignored(rel, is_dir=True):
            self.result.pruned.append(rel)
            return False
        if entry.is_symlink():
            self.result.pruned.append(rel)
            inside = _inside(os.path.realpath(entry.path), self.real_root)
            self.result.skipped[rel] = SYMLINKED_DIR if inside else OUTSIDE
            return False
        return True

    def _file(self, entry: os.DirEntry[str], rel: str) -> None:
        try:
            if entry.is_symlink() and not self._link_inside(entry, rel):
                return
            st = entry.stat()
        except FileNotFoundError:
            if entry.is_symlink():
                self.result.skipped[rel] = BROKEN_LINK
            return
        except OSError:
            self.result.skipped[rel] = UNREADABLE
            return
        if st.st_size > self.limit:
            self.result.skipped[rel] = TOO_LARGE
        else:
            self.result.files[rel] = FileStat(st.st_size, st.st_mtime_ns)

    def _link_inside(self, entry: os.DirEntry[str], rel: str) -> bool:
        if _inside(os.path.realpath(entry.path), self.real_root):
            return True
        self.result.skipped[rel] = OUTSIDE
        return False


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _inside(real_path: str, real_root: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


# -- reading -------------------------------------------------------------------------------


def is_probably_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB, or over 10% of it undecodable as UTF-8."""
    sample = data[:BINARY_SAMPLE]
    if b"\0" in sample:
        return True
    if not sample:
        return False
    text = sample.decode("utf-8", errors="replace")
    if len(sample) == BINARY_SAMPLE:
        text = text[:-3]  # a multi-byte character may be cut at the end of the sample
    bad = text.count("\ufffd") - sample.count("\ufffd".encode())
    return bad > MAX_BAD_SHARE * max(len(text), 1)


def read_text(path: Path, max_bytes: int) -> str | None:
    """The file as text; None when it is missing, unreadable, binary or too large.

    Mostly-UTF-8 text is decoded with ``errors="replace"``.
    """
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > max_bytes:
                return None
            data = handle.read(max_bytes + 1)
    except OSError:
        return None
    if len(data) > max_bytes or is_probably_binary(data):
        return None
    return data.decode("utf-8", errors="replace")
