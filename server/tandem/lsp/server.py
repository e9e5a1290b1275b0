"""The Tandem language server: pygls wiring around the ``Tandem`` service.

Open documents are kept by Tandem's own document store (edits cost time in
proportion to the edited lines, not the document), so the protocol subclass below
replaces pygls's built-in text document bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from tandem import __version__
from tandem.core.app import Tandem
from tandem.core.settings import data_dir
from tandem.lsp import chat, code_actions, commands, history, lifecycle, sync
from tandem.lsp.notifier import LspNotifier

log = logging.getLogger(__name__)


class TandemProtocol(LanguageServerProtocol):
    """Routes document sync straight to the user handlers (no pygls text copies),
    and keeps each command request's ``workDoneToken`` for its handler."""

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
        self.tandem = Tandem(data_dir(), LspNotifier(self))
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
