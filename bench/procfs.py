"""Memory figures of a process and its children, from ``/proc`` (Linux)."""

from __future__ import annotations

from pathlib import Path


def kb(pid: int, key: str, file: str = "status") -> int | None:
    """``key`` of ``/proc/PID/FILE`` in kB (``VmRSS``, ``VmHWM`` of ``status``; ``Pss``
    of ``smaps_rollup``); None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return None


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (of every one of its threads)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:  # the thread ended meanwhile
            continue
    return found


def children_kb(pid: int, key: str, file: str = "status") -> int:
    """:func:`kb` summed over the children of ``pid`` (those that ended count 0)."""
    return sum(kb(child, key, file) or 0 for child in children(pid))
