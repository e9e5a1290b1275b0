"""Chat commands: ``tandem.chat``, ``tandem.askAboutSelection``, ``tandem.cancel``,
``tandem.previewContext`` and ``tandem.listModels``.

A chat request may carry a ``workDoneToken``: the turn then reports ``$/progress``
and the progress's cancel button cancels the turn, like ``$/cancelRequest``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tandem.core.chat import TurnResult
from tandem.core.context.service import Focus
from tandem.core.errors import InvalidArguments
from tandem.lsp import dispatch
from tandem.lsp.convert import require_path
from tandem.lsp.payloads import AskArgs, CancelArgs, ChatArgs, Empty, PreviewArgs, RangeArg

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

DEFAULT_QUESTION = "Explain this code."


def focus(uri: str | None, rng: RangeArg | None, diagnostics: list[str] | None = None) -> Focus:
    if uri is None:
        if rng is not None:
            raise InvalidArguments("'range' needs a 'uri'")
        return Focus()
    selection = (rng.start, rng.end) if rng is not None and rng.start != rng.end else None
    return Focus(require_path(uri), selection, diagnostics or [])


async def chat(ls: TandemServer, args: ChatArgs) -> dict[str, Any]:
    if not args.prompt.strip():
        raise InvalidArguments("the prompt is empty")
    return await _turn(ls, args.prompt, args.sessionId, focus(args.uri, args.range))


async def ask_about_selection(ls: TandemServer, args: AskArgs) -> dict[str, Any]:
    question = (args.question or "").strip() or DEFAULT_QUESTION
    where = focus(args.uri, args.range, args.diagnostics)
    if where.selection is None:
        raise InvalidArguments("the selection is empty")
    return await _turn(ls, question, args.sessionId, where)


async def _turn(
    ls: TandemServer, prompt: str, session_id: str | None, where: Focus
) -> dict[str, Any]:
    token = ls.tandem_protocol.take_work_done_token()
    progress = _Progress(ls, token)
    progress.begin()
    try:
        result: TurnResult = await ls.tandem.chat(prompt, session_id, where)
    finally:
        progress.end()
    return result.to_json()


class _Progress:
    """``$/progress`` on the client's token; its cancel button cancels the turn."""

    def __init__(self, ls: TandemServer, token: types.ProgressToken | None) -> None:
        self.ls = ls
        self.token = token

    def begin(self) -> None:
        if self.token is None:
            return
        progress = self.ls.work_done_progress
        progress.begin(
            self.token,
            types.WorkDoneProgressBegin(title="Tandem", message="thinking", cancellable=True),
        )
        task = asyncio.current_task()
        future = progress.tokens.get(self.token)
        if future is not None and task is not None:
            future.add_done_callback(
                lambda f: task.cancel() if f.cancelled() and not task.done() else None
            )

    def end(self) -> None:
        if self.token is None:
            return
        self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message="done"))
        self.ls.work_done_progress.tokens.pop(self.token, None)


async def cancel(ls: TandemServer, args: CancelArgs) -> dict[str, Any]:
    return {"cancelled": ls.tandem.chats.cancel(args.turnId, args.sessionId)}


async def preview_context(ls: TandemServer, args: PreviewArgs) -> dict[str, Any]:
    assembled = await ls.tandem.preview(
        args.prompt, args.sessionId, focus(args.uri, args.range), args.budget
    )
    return assembled.to_json()


async def list_models(ls: TandemServer, args: Empty) -> dict[str, Any]:
    return await ls.tandem.list_models()


def register(ls: TandemServer) -> None:
    dispatch.register(ls, "tandem.chat", ChatArgs, chat)
    dispatch.register(ls, "tandem.askAboutSelection", AskArgs, ask_about_selection)
    dispatch.register(ls, "tandem.cancel", CancelArgs, cancel)
    dispatch.register(ls, "tandem.previewContext", PreviewArgs, preview_context)
    dispatch.register(ls, "tandem.listModels", Empty, list_models)
