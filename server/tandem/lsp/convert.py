"""Translation between LSP shapes and Tandem's core types (the only such place)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from tandem.core.documents import Change
from tandem.core.errors import InvalidArguments
from tandem.core.text import Encoding

_ENCODINGS: dict[str, Encoding] = {
    types.PositionEncodingKind.Utf8: "utf-8",
    types.PositionEncodingKind.Utf16: "utf-16",
    types.PositionEncodingKind.Utf32: "utf-32",
}


def encoding(kind: str | None) -> Encoding:
    return _ENCODINGS.get(kind or types.PositionEncodingKind.Utf16, "utf-16")


def uri_to_path(uri: str) -> Path | None:
    """A ``file:`` URI as an absolute path; None for other schemes (untitled:...) and
    for URIs no file can have (``file:///a%00b``: no path holds a NUL byte)."""
    if not uri.startswith("file:"):
        return None
    fs_path = to_fs_path(uri)
    return Path(fs_path) if fs_path and "\x00" not in fs_path else None


def require_path(uri: object, what: str = "uri") -> Path:
    if not isinstance(uri, str) or not uri:
        raise InvalidArguments(f"'{what}' must be a file URI string")
    path = uri_to_path(uri)
    if path is None:
        raise InvalidArguments(f"'{what}' must be a file: URI of a path, got {uri[:200]!r}")
    return path


def path_to_uri(path: Path) -> str:
    uri = from_fs_path(str(path))
    assert uri is not None
    return str(uri)


def change(event: types.TextDocumentContentChangeEvent) -> Change:
    if isinstance(event, types.TextDocumentContentChangePartial):
        start, end = event.range.start, event.range.end
        return Change(event.text, (start.line, start.character), (end.line, end.character))
    return Change(event.text)


def change_kind(kind: types.FileChangeType) -> str:
    return {
        types.FileChangeType.Created: "added",
        types.FileChangeType.Changed: "modified",
        types.FileChangeType.Deleted: "deleted",
    }[kind]


def message_type(level: str) -> types.MessageType:
    return {
        "error": types.MessageType.Error,
        "warning": types.MessageType.Warning,
        "info": types.MessageType.Info,
    }.get(level, types.MessageType.Log)
