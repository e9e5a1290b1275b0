"""Tandem without an editor: the same service, opened on a folder from the terminal."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tandem.core.app import FolderSpec, Tandem
from tandem.core.errors import InvalidArguments
from tandem.core.settings import Settings, data_dir


class TerminalNotifier:
    """Messages and progress on stderr; chat deltas go to ``on_delta`` (stdout)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.on_delta: Any = None

    def show_message(self, level: str, message: str) -> None:
        print(message, file=sys.stderr)

    def chat_delta(self, turn_id: str, session_id: str, delta: str) -> None:
        if self.on_delta is not None:
            self.on_delta(delta)

    def chat_status(self, turn_id: str, session_id: str, status: str, **extra: Any) -> None:
        pass

    async def progress_begin(self, key: str, title: str) -> None:
        if not self.quiet and sys.stderr.isatty():
            print(f"{title}...", file=sys.stderr)

    def progress_report(self, key: str, message: str, percentage: int) -> None:
        if not self.quiet and sys.stderr.isatty():
            print(f"\r  {percentage:3d}% {message}", end="", file=sys.stderr)

    def progress_end(self, key: str, message: str) -> None:
        if not self.quiet and sys.stderr.isatty():
            print(f"\r  {message}", file=sys.stderr)


@asynccontextmanager
async def open_workspace(
    folder: str, settings: Settings | None = None, quiet: bool = True
) -> AsyncIterator[Tandem]:
    """Scan, git and index ``folder`` (reusing the persistent index), then yield."""
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise InvalidArguments(f"{folder} is not a directory")
    notifier = TerminalNotifier(quiet)
    tandem = Tandem(data_dir(), notifier, settings or Settings())
    try:
        await tandem.add_folders([FolderSpec(path, path.as_uri(), path.name)])
        await tandem.tasks.idle()
        yield tandem
    finally:
        await tandem.shutdown()
