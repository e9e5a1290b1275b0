"""Open editor documents: the unsaved text the editor holds, kept in step by edits."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tandem.core.errors import NotFound
from tandem.core.text import Encoding, TextBuffer

log = logging.getLogger(__name__)

Position = tuple[int, int]


@dataclass(frozen=True)
class Change:
    """One content change: ``start``/``end`` None means the whole text is replaced."""

    text: str
    start: Position | None = None
    end: Position | None = None


@dataclass
class OpenDocument:
    uri: str
    path: Path | None
    language_id: str
    version: int
    buffer: TextBuffer

    @property
    def text(self) -> str:
        return self.buffer.text


class DocumentStore:
    """The documents the editor has open, by URI."""

    def __init__(self, encoding: Encoding = "utf-16") -> None:
        self.encoding: Encoding = encoding
        self._docs: dict[str, OpenDocument] = {}
        self._by_path: dict[Path, str] = {}

    def open(self, uri: str, path: Path | None, language_id: str, version: int, text: str) -> None:
        buffer = TextBuffer(text, self.encoding)
        self._docs[uri] = OpenDocument(uri, path, language_id, version, buffer)
        if path is not None:
            self._by_path[path] = uri

    def change(self, uri: str, version: int, changes: Iterable[Change]) -> None:
        """Apply edits in order; an invalid edit stops there and raises.

        Edits before the bad one stay applied (they are what the editor did); the
        version is only advanced when every edit applied.
        """
        doc = self.get(uri)
        for change in changes:
            doc.buffer.apply_change(change.start, change.end, change.text)
        doc.version = version

    def close(self, uri: str) -> None:
        doc = self._docs.pop(uri, None)
        if doc is None:
            log.info("close of a document that was not open: %s", uri)
        elif doc.path is not None:
            self._by_path.pop(doc.path, None)

    def get(self, uri: str) -> OpenDocument:
        doc = self._docs.get(uri)
        if doc is None:
            raise NotFound(f"document {uri} is not open")
        return doc

    def find(self, uri: str) -> OpenDocument | None:
        return self._docs.get(uri)

    def by_path(self, path: Path) -> OpenDocument | None:
        uri = self._by_path.get(path)
        return None if uri is None else self._docs.get(uri)

    def __iter__(self) -> Iterator[OpenDocument]:
        return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)
