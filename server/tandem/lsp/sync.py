"""Document sync: open, incremental change, save, close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from tandem.core.errors import TandemError
from tandem.lsp.convert import change, uri_to_path

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)


def register(ls: TandemServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TandemServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.tandem.open_document(
            doc.uri, uri_to_path(doc.uri), doc.language_id, doc.version, doc.text
        )

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TandemServer, params: types.DidChangeTextDocumentParams) -> None:
        doc = params.text_document
        try:
            ls.tandem.change_document(
                doc.uri, doc.version, [change(c) for c in params.content_changes]
            )
        except TandemError as error:
            log.warning("edit to %s not applied: %s", doc.uri, error)
            ls.tandem.notifier.show_message("warning", f"Tandem: {error}")

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: TandemServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.tandem.saved_document(uri_to_path(params.text_document.uri))

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TandemServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.tandem.close_document(params.text_document.uri)
