"""History commands: sessions, transcripts, reset, export and search."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tandem.lsp import dispatch
from tandem.lsp.payloads import (
    ExportArgs,
    ListSessionsArgs,
    MaybeSessionArgs,
    NewSessionArgs,
    ResetArgs,
    SearchArgs,
    SessionArgs,
)

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer


async def new_session(ls: TandemServer, args: NewSessionArgs) -> dict[str, Any]:
    session = await asyncio.to_thread(ls.tandem.sessions.new, args.title)
    return {"sessionId": session.id}


async def list_sessions(ls: TandemServer, args: ListSessionsArgs) -> dict[str, Any]:
    return await asyncio.to_thread(ls.tandem.sessions.list, args.includeArchived)


async def switch_session(ls: TandemServer, args: SessionArgs) -> dict[str, Any]:
    session = await asyncio.to_thread(ls.tandem.sessions.switch, args.sessionId)
    return {"sessionId": session.id}


async def get_transcript(ls: TandemServer, args: MaybeSessionArgs) -> dict[str, Any]:
    return await asyncio.to_thread(ls.tandem.sessions.transcript, args.sessionId)


async def reset_workspace(ls: TandemServer, args: ResetArgs) -> dict[str, Any]:
    ls.tandem.chats.cancel()
    return await asyncio.to_thread(ls.tandem.sessions.reset, args.mode)


async def export_session(ls: TandemServer, args: ExportArgs) -> dict[str, Any]:
    return await asyncio.to_thread(ls.tandem.sessions.export, args.sessionId, args.format)


async def search_history(ls: TandemServer, args: SearchArgs) -> dict[str, Any]:
    return await asyncio.to_thread(ls.tandem.sessions.search, args.query)


def register(ls: TandemServer) -> None:
    dispatch.register(ls, "tandem.newSession", NewSessionArgs, new_session)
    dispatch.register(ls, "tandem.listSessions", ListSessionsArgs, list_sessions)
    dispatch.register(ls, "tandem.switchSession", SessionArgs, switch_session)
    dispatch.register(ls, "tandem.getTranscript", MaybeSessionArgs, get_transcript)
    dispatch.register(ls, "tandem.resetWorkspace", ResetArgs, reset_workspace)
    dispatch.register(ls, "tandem.exportSession", ExportArgs, export_session)
    dispatch.register(ls, "tandem.searchHistory", SearchArgs, search_history)
