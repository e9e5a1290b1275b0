"""The "Ask Tandem about selection" code action: cheap, no model call here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tandem.lsp.convert import uri_to_path

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

ASK = "tandem.askAboutSelection"
TITLE = "Ask Tandem about selection"


def _range_json(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def _diagnostic_text(diagnostic: types.Diagnostic) -> str:
    where = f"line {diagnostic.range.start.line + 1}"
    source = f"{diagnostic.source}: " if diagnostic.source else ""
    return f"{where}: {source}{diagnostic.message}"


def ask_action(params: types.CodeActionParams) -> types.CodeAction | None:
    rng = params.range
    if rng.start == rng.end:
        return None
    diagnostics = [_diagnostic_text(d) for d in params.context.diagnostics]
    args: dict[str, Any] = {"uri": params.text_document.uri, "range": _range_json(rng)}
    if diagnostics:
        args["diagnostics"] = diagnostics
    kind = types.CodeActionKind.QuickFix if diagnostics else types.CodeActionKind.Refactor
    return types.CodeAction(
        title=TITLE,
        kind=kind,
        diagnostics=list(params.context.diagnostics) or None,
        command=types.Command(title=TITLE, command=ASK, arguments=[args]),
    )


def register(ls: TandemServer) -> None:
    options = types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Refactor]
    )

    @ls.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)
    def code_action(ls: TandemServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        path = uri_to_path(params.text_document.uri)
        if path is None or not ls.tandem.workspace.may_send(path):
            return []  # outside the workspace, or a withheld file: the command would refuse
        only = params.context.only
        action = ask_action(params)
        if action is None or (only and not any(str(action.kind).startswith(k) for k in only)):
            return []
        return [action]
