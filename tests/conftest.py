from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import figures


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The reliability figures this run measured (see ``tests.support.figures``)."""
    written = figures.write(figures.directory(Path(session.config.rootpath)))
    if written is not None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"reliability figures: {written}")
