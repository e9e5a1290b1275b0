"""Tandem's voice to the user over LSP: messages, progress, chat notifications."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tandem.lsp.convert import message_type

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)

CHAT_DELTA = "tandem/chatDelta"
CHAT_STATUS = "tandem/chatStatus"


class LspNotifier:
    """Implements ``tandem.core.app.Notifier`` for an LSP client."""

    def __init__(self, ls: TandemServer) -> None:
        self.ls = ls
        self._tokens: dict[str, str] = {}

    @property
    def _connected(self) -> bool:
        return self.ls.protocol.writer is not None

    def show_message(self, level: str, message: str) -> None:
        getattr(log, "warning" if level in ("warning", "error") else "info")("%s", message)
        if self._connected:
            self.ls.window_show_message(
                types.ShowMessageParams(type=message_type(level), message=message)
            )

    def chat_delta(self, turn_id: str, session_id: str, delta: str) -> None:
        if self._connected:
            params = {"turnId": turn_id, "sessionId": session_id, "delta": delta}
            self.ls.protocol.notify(CHAT_DELTA, params)

    def chat_status(self, turn_id: str, session_id: str, status: str, **extra: Any) -> None:
        if self._connected:
            params = {"turnId": turn_id, "sessionId": session_id, "status": status, **extra}
            self.ls.protocol.notify(CHAT_STATUS, params)

    async def progress_begin(self, key: str, title: str) -> None:
        """Start server-initiated progress (when the client supports it)."""
        caps = self.ls.client_capabilities
        if not (caps.window and caps.window.work_done_progress) or not self._connected:
            return
        token = f"tandem-{key}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception as error:  # a client that refuses progress must not stop the work
            log.info("client refused progress %s: %s", token, error)
            return
        self._tokens[key] = token
        self.ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False)
        )

    def progress_report(self, key: str, message: str, percentage: int) -> None:
        token = self._tokens.get(key)
        if token is not None:
            self.ls.work_done_progress.report(
                token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def progress_end(self, key: str, message: str) -> None:
        token = self._tokens.pop(key, None)
        if token is not None:
            self.ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(token, None)
