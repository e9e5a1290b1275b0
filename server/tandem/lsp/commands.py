"""The ``tandem.*`` commands: each decodes its payload and calls one service method."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tandem.lsp import dispatch
from tandem.lsp.convert import path_to_uri, require_path
from tandem.lsp.payloads import Empty, FolderArgs, UriArgs

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer


async def workspace_state(ls: TandemServer, args: FolderArgs) -> dict[str, Any]:
    folder = require_path(args.uri) if args.uri is not None else None
    return ls.tandem.workspace_state(folder)


async def file_view(ls: TandemServer, args: UriArgs) -> dict[str, Any]:
    path = ls.tandem.workspace.confine_readable(require_path(args.uri))
    view = await ls.tandem.file_view(path)
    out = dataclasses.asdict(view)
    return {
        "uri": path_to_uri(view.path),
        "folder": path_to_uri(view.folder) if view.folder else None,
        "path": view.rel,
        "source": view.source,
        "text": view.text,
        "version": view.version,
        "mtimeNs": out["mtime_ns"],
        "dirtyVsDisk": view.dirty_vs_disk,
        "changedVsHead": view.changed_vs_head,
    }


async def status(ls: TandemServer, args: Empty) -> dict[str, Any]:
    return ls.tandem.status()


def register_all(ls: TandemServer) -> None:
    dispatch.register(ls, "tandem.status", Empty, status)
    dispatch.register(ls, "tandem.workspaceState", FolderArgs, workspace_state)
    dispatch.register(ls, "tandem.fileView", UriArgs, file_view)
