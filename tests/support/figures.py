"""Figures the reliability tests measure, gathered into one report per test run.

A test adds to a named figure as it goes (``figures.add("Secrets", planted=26)``);
numbers add up across tests and examples. At the end of the run the figures are
written to ``test-artifacts/reliability.json`` and, as tables, ``reliability.md``
(``TANDEM_FIGURES_DIR`` moves them): docs/reliability.md quotes such a run. Figures
are recorded before a test's assertions, so a failing run reports what it found.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

_FIGURES: dict[str, dict[str, Any]] = {}
_LOCK = threading.Lock()


def add(figure: str, **counts: int | float) -> None:
    """Add ``counts`` to ``figure``'s numbers."""
    with _LOCK:
        numbers = _FIGURES.setdefault(figure, {})
        for name, value in counts.items():
            numbers[name] = numbers.get(name, 0) + value


def most(figure: str, **values: int | float) -> None:
    """Keep the largest value seen of each number (a peak, a worst case)."""
    with _LOCK:
        numbers = _FIGURES.setdefault(figure, {})
        for name, value in values.items():
            numbers[name] = max(numbers.get(name, value), value)


def snapshot() -> dict[str, dict[str, Any]]:
    with _LOCK:
        return {figure: dict(numbers) for figure, numbers in _FIGURES.items()}


def write(directory: Path) -> Path | None:
    """Write the figures of this run (nothing if no test recorded any)."""
    figures = snapshot()
    if not figures:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "reliability.json").write_text(json.dumps(figures, indent=1, sort_keys=True))
    path = directory / "reliability.md"
    path.write_text(render(figures))
    return path


def render(figures: dict[str, dict[str, Any]]) -> str:
    lines = []
    for figure in sorted(figures):
        numbers = figures[figure]
        lines += [f"### {figure}", "", "| measure | value |", "|---|---:|"]
        lines += [f"| {name.replace('_', ' ')} | {_shown(numbers[name])} |" for name in numbers]
        lines.append("")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def directory(root: Path) -> Path:
    return Path(os.environ.get("TANDEM_FIGURES_DIR") or root / "test-artifacts")
