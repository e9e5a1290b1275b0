"""``tandem history``: the chat history of a workspace, on the same store as the server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tandem.core.history import open_store
from tandem.core.history.cli_format import (
    format_hits,
    format_sessions,
    format_transcript,
    match_session,
)
from tandem.core.history.store import HistoryStore
from tandem.core.settings import HistorySettings, data_dir


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("history", help="list, show, export, search or reset chat history")
    parser.add_argument("--workspace", default=".", help="the workspace folder (default: .)")
    parser.add_argument("--redis", metavar="URL", help="use the Redis store at URL")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the workspace's sessions (* marks the active one)")
    listing.add_argument("--all", action="store_true", help="include archived sessions")
    show = actions.add_parser("show", help="print a session's transcript")
    show.add_argument("session", nargs="?", help="session id or its first characters")
    export = actions.add_parser("export", help="export a session as markdown or json")
    export.add_argument("session", nargs="?", help="session id or its first characters")
    export.add_argument("--format", choices=["markdown", "json"], default="markdown")
    search = actions.add_parser("search", help="full-text search of the workspace's history")
    search.add_argument("query")
    reset = actions.add_parser("reset", help="archive (default) or delete the workspace's history")
    reset.add_argument("--delete", action="store_true", help="delete for good instead of archiving")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = (
        HistorySettings(backend="redis", redisUrl=args.redis) if args.redis else HistorySettings()
    )
    store = open_store(settings, data_dir())
    try:
        return _run(store, args)
    finally:
        store.close()


def _run(store: HistoryStore, args: argparse.Namespace) -> int:
    folder = Path(args.workspace).resolve()
    ws = store.ensure_workspace(folder)
    out = sys.stdout
    if args.action == "list":
        active = store.get_active_session(ws.id)
        out.write(
            format_sessions(store.list_sessions(ws.id, args.all), active.id if active else None)
        )
    elif args.action in ("show", "export"):
        session = _session(store, ws.id, args.session)
        if args.action == "show":
            out.write(format_transcript(session, store.messages(session.id)))
        else:
            out.write(store.export_session(session.id, args.format))
    elif args.action == "search":
        out.write(format_hits(store.search(ws.id, args.query), color=out.isatty()))
    else:
        count = store.delete_workspace(ws.id) if args.delete else store.archive_workspace(ws.id)
        verb = "deleted" if args.delete else "archived"
        out.write(f"{count} session(s) {verb}.\n")
    return 0


def _session(store: HistoryStore, workspace_id: str, prefix: str | None):  # type: ignore[no-untyped-def]
    if prefix is None:
        active = store.get_active_session(workspace_id)
        if active is None:
            from tandem.core.errors import NotFound

            raise NotFound("no active session; give a session id (see `tandem history list`)")
        return active
    return match_session(store.list_sessions(workspace_id, include_archived=True), prefix)
