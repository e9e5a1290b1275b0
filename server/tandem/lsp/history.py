"""History commands: sessions, transcripts, reset, export and search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.core.sessions import run
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
    session = await run(ls.tandem.sessions.new, args.title)
    return {"sessionId": session.id}


async def list_sessions(ls: TandemServer, args: ListSessionsArgs) -> dict[str, Any]:
    return await run(ls.tandem.sessions.list, args.includeArchived)  # type: ignore[no-any-return]


async def switch_session(ls: TandemServer, args: SessionArgs) -> dict[str, Any]:
    session = await run(ls.tandem.sessions.switch, args.sessionId)
    return {"sessionId": session.id}


async def get_transcript(ls: TandemServer, args: MaybeSessionArgs) -> dict[str, Any]:
    return await run(ls.tandem.sessions.transcript, args.sessionId)  # type: ignore[no-any-return]


async def reset_workspace(ls: TandemServer, args: ResetArgs) -> dict[str, Any]:
    ls.tandem.chats.cancel()
    return await run(ls.tandem.sessions.reset, args.mode)  # type: ignore[no-any-return]


async def export_session(ls: TandemServer, args: ExportArgs) -> dict[str, Any]:
    return await run(ls.tandem.sessions.export, args.sessionId, args.format)  # type: ignore[no-any-return]


async def search_history(ls: TandemServer, args: SearchArgs) -> dict[str, Any]:
    return await run(ls.tandem.sessions.search, args.query)  # type: ignore[no-any-return]


def register(ls: TandemServer) -> None:
    dispatch.register(ls, "tandem.newSession", NewSessionArgs, new_session)
    dispatch.register(ls, "tandem.listSessions", ListSessionsArgs, list_sessions)
    dispatch.register(ls, "tandem.switchSession", SessionArgs, switch_session)
    dispatch.register(ls, "tandem.getTranscript", MaybeSessionArgs, get_transcript)
    dispatch.register(ls, "tandem.resetWorkspace", ResetArgs, reset_workspace)
    dispatch.register(ls, "tandem.exportSession", ExportArgs, export_session)
    dispatch.register(ls, "tandem.searchHistory", SearchArgs, search_history)
