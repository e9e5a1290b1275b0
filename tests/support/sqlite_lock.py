"""Another process holding a SQLite file's lock, for as long as the test wants.

``hold_lock(path)`` starts a separate Python process that opens the file, runs
``BEGIN EXCLUSIVE`` (in ``"write"`` mode it also changes every session's title inside
that transaction) and waits; ``release(locker)`` makes it commit and exit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
if sys.argv[2] == "write":
    db.execute("UPDATE sessions SET title = 'renamed by the other process'")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


def hold_lock(path: Path, mode: str = "read") -> subprocess.Popen[str]:
    """Return once the other process holds ``BEGIN EXCLUSIVE`` on ``path``."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None
    if locker.stdout.readline().strip() != "locked":
        locker.kill()
        raise RuntimeError(f"the locking process failed (exit {locker.wait()})")
    return locker


def release(locker: subprocess.Popen[str]) -> None:
    """Let the other process commit and exit."""
    assert locker.stdin is not None
    locker.stdin.write("\n")
    locker.stdin.flush()
    if locker.wait(timeout=10) != 0:
        raise RuntimeError(f"the locking process exited with {locker.returncode}")
