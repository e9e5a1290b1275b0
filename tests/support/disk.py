"""Real file system faults for tests: a small tmpfs to fill, a read-only bind mount.

Both need ``mount`` (root, or a CI that allows it); where it is refused the test is
skipped with the reason ``mount`` gave. Unmounting is lazy, so a process that still
holds a file open (a server being shut down) cannot make the cleanup fail.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHUNK = 4096


def _mount(*args: str) -> None:
    if shutil.which("mount") is None:
        pytest.skip("mount(8) is not installed")
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({' '.join(args)}): {done.stderr.strip()}")


def _unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=True, capture_output=True)


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``mount -o size=...``) mounted at ``path`` (created)."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        _unmount(path)


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` (an existing folder) made read-only by a bind mount over itself."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,bind,ro", str(path))
        yield path
    finally:
        _unmount(path)


def fill_disk(folder: Path, name: str = "filler") -> Path:
    """Write a file in ``folder`` until its file system is full; unlink it to free space."""
    filler = folder / name
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * CHUNK)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return filler
