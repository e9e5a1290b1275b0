"""Tandem's voice to the user over LSP: messages, logs, custom notifications."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from tandem.lsp.convert import message_type

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)


class LspNotifier:
    def __init__(self, ls: TandemServer) -> None:
        self.ls = ls

    def show_message(self, level: str, message: str) -> None:
        getattr(log, "warning" if level == "warning" else "info")("%s", message)
        if self.ls.protocol.writer is None:
            return
        self.ls.window_show_message(
            types.ShowMessageParams(type=message_type(level), message=message)
        )
