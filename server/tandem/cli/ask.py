"""``tandem context`` and ``tandem ask``: the context engine and chat from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tandem.core.errors import InvalidArguments
from tandem.core.settings import Settings, WorkspaceSettings
from tandem.infra.scan import read_text

if TYPE_CHECKING:
    from tandem.core.context.service import Focus


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    context = sub.add_parser("context", help="show what would be sent to the model for a question")
    _common(context)
    context.add_argument("--budget", type=int, help="input token budget (default: from settings)")
    context.add_argument("--json", action="store_true", help="print the full result as JSON")
    context.set_defaults(run=run_context)
    ask = sub.add_parser("ask", help="ask a question about the workspace; streams the answer")
    _common(ask)
    ask.add_argument("--session", help="continue this session (default: the active one)")
    ask.add_argument(
        "--dry-run", action="store_true", help="print the request instead of sending it"
    )
    ask.set_defaults(run=run_ask)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question")
    parser.add_argument("--workspace", default=".", help="the workspace folder (default: .)")
    parser.add_argument("--file", help="the file the question is about")
    parser.add_argument("--lines", help="with --file: the selected lines, A-B (1-based)")


def _settings() -> Settings:
    return Settings(workspace=WorkspaceSettings(watch="off"))


def _focus(args: argparse.Namespace) -> Focus:
    from tandem.core.context.service import Focus

    if args.file is None:
        if args.lines:
            raise InvalidArguments("--lines needs --file")
        return Focus()
    path = Path(args.file).resolve()
    if not args.lines:
        return Focus(path)
    try:
        first, last = (int(n) for n in args.lines.split("-", 1))
    except ValueError as error:
        raise InvalidArguments(f"--lines must look like 10-20, got {args.lines!r}") from error
    if not 1 <= first <= last:
        raise InvalidArguments("--lines must be A-B with 1 <= A <= B")
    return Focus(path, ((first - 1, 0), (last, 0)))


async def _open_focus(tandem: Any, focus: Focus) -> None:
    """A file named on the command line is treated as open in an editor.

    Only a file inside the workspace, and not a withheld one (the secret deny list),
    is read; the question about any other is refused by the context engine.
    """
    if focus.path is None:
        return
    path = tandem.workspace.confine(focus.path)
    if tandem.workspace.is_secret(path):
        return
    text = await asyncio.to_thread(read_text, path, tandem.settings.context.maxFileBytes)
    if text is not None:
        tandem.open_document(path.as_uri(), path, "", 0, text)


def run_context(args: argparse.Namespace) -> int:
    return asyncio.run(_context(args))


async def _context(args: argparse.Namespace) -> int:
    from tandem.cli.headless import open_workspace
    from tandem.core.context.manifest import render_table

    focus = _focus(args)
    async with open_workspace(args.workspace, _settings()) as tandem:
        await _open_focus(tandem, focus)
        assembled = await tandem.preview(args.question, None, focus, args.budget)
        root = Path(args.workspace).resolve()
    if args.json:
        json.dump({"workspace": str(root), **assembled.to_json()}, sys.stdout, indent=2)
        print()
    else:
        print(render_table(assembled.manifest))
    return 0


def run_ask(args: argparse.Namespace) -> int:
    return asyncio.run(_ask(args))


async def _ask(args: argparse.Namespace) -> int:
    from tandem.cli.headless import TerminalNotifier, open_workspace

    focus = _focus(args)
    async with open_workspace(args.workspace, _settings()) as tandem:
        await _open_focus(tandem, focus)
        if args.dry_run:
            assembled = await tandem.preview(args.question, args.session, focus)
            json.dump({"messages": assembled.messages}, sys.stdout, indent=2)
            print()
            return 0
        notifier = tandem.notifier
        assert isinstance(notifier, TerminalNotifier)
        notifier.on_delta = lambda d: (sys.stdout.write(d), sys.stdout.flush())
        result = await tandem.chat(args.question, args.session, focus)
    print()
    if result.status != "complete":
        print(f"tandem: the answer is {result.status}: {result.error or ''}", file=sys.stderr)
        return 1
    print(f"[session {result.session_id}]", file=sys.stderr)
    return 0
