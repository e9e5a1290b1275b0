"""The Tandem language server: pygls wiring around the ``Tandem`` service.

Open documents are kept by Tandem's own document store (edits cost time in
proportion to the edited lines, not the document), so the protocol subclass below
replaces pygls's built-in text document bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from functools import partial
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from tandem import __version__
from tandem.core.app import Tandem
from tandem.core.settings import data_dir
from tandem.lsp import auth, chat, code_actions, commands, history, lifecycle, messages, sync
from tandem.lsp.notifier import LspNotifier

log = logging.getLogger(__name__)


ANSWERED = object()
"""Stands for a request already answered while it was decoded."""


class TandemProtocol(LanguageServerProtocol):
    """Routes document sync straight to the user handlers (no pygls text copies),
    keeps each command request's ``workDoneToken`` for its handler, and drops the
    connection token from ``initialize``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._work_done_tokens: dict[Any, types.ProgressToken] = {}

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        if params.work_done_token is not None:
            self._work_done_tokens[self.msg_id] = params.work_done_token
        try:
            return (yield from super().lsp_workspace__execute_command(params))
        finally:
            self._work_done_tokens.pop(self.msg_id, None)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Decodes one message. The connection token was checked before the message got
        here (``listen.py``): drop it so that no handler, log line or setting holds it.
        A request whose params do not decode is answered with the error here: pygls
        would drop it unanswered and leave the client waiting."""
        if data.get("method") == types.INITIALIZE:
            auth.drop_token(data)
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "jsonrpc" not in data or "id" not in data or "method" not in data:
                raise
            log.warning("%s: params do not decode; answered %s", data["method"], error)
            self._send_response(data["id"], error=error.to_response_error())
            return ANSWERED

    def _execute_handler(self, msg_id: Any, *args: Any, **kwargs: Any) -> None:
        """pygls files a future under ``msg_id`` for every handler it runs, but only
        requests it answers are ever removed: each step of a generator handler (every
        ``didChange``, the inner task of every command) would stay for the server's
        life, results and all. Forget each one once it is done."""
        super()._execute_handler(msg_id, *args, **kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(partial(self._forget_future, msg_id))

    def _forget_future(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    def handle_message(self, message: Any) -> None:
        if message is not ANSWERED:
            messages.dispatch(self, message, super().handle_message)

    def take_work_done_token(self) -> types.ProgressToken | None:
        """The token of the command request being handled (call from its handler)."""
        return self._work_done_tokens.pop(self.msg_id, None)

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _user(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None


class TandemServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "tandem",
            __version__,
            protocol_cls=TandemProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.tandem = Tandem(data_dir(), LspNotifier(self), workers=True)
        self.init_options: Any = None
        assert isinstance(self.protocol, TandemProtocol)
        self.tandem_protocol: TandemProtocol = self.protocol
        self.client_watches = False


def create_server() -> TandemServer:
    ls = TandemServer()
    lifecycle.register(ls)
    sync.register(ls)
    code_actions.register(ls)
    commands.register_all(ls)
    chat.register(ls)
    history.register(ls)
    return ls
