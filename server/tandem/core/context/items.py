"""Shared pieces of the section builders: counting, redacting, making items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from tandem.core.context.manifest import Redaction
from tandem.core.context.planner import Item, StandIn
from tandem.core.redact_memo import RedactionMemo

MESSAGE_TOKENS = 4
"""Per chat message: OpenAI's documented framing (3 tokens) plus the role name (1)."""
REPLY_TOKENS = 3
"""Every reply is primed with ``<|start|>assistant<|message|>``."""
REDACTIONS = RedactionMemo()
"""Shared by every request of the process: a conversation redacts the same texts again."""


class Counts(Protocol):
    """What assembly needs of a token counter (``tokens.TokenCounter`` is one)."""

    encoding_name: str

    def count(self, text: str) -> int: ...

    def truncate(self, text: str, max_tokens: int, at_line: bool = False) -> str: ...


@dataclass(frozen=True)
class Cleaned:
    text: str
    redactions: list[Redaction]


def _same_line(line: int) -> int:
    return line


def clean(
    text: str, section: str, path: str | None, line_of: Callable[[int], int] = _same_line
) -> Cleaned:
    """``text`` redacted; each finding's line is mapped through ``line_of``."""
    result = REDACTIONS.redact(text)
    redactions = [
        Redaction(section, path, finding.kind, line_of(finding.line)) for finding in result.findings
    ]
    return Cleaned(result.text, redactions)


def offset_lines(first_line: int) -> Callable[[int], int]:
    """Maps a line of a snippet to the file line, the snippet starting at ``first_line``."""
    return lambda line: first_line + line - 1


class Maker:
    """Makes planner items whose token counts are exact for their text."""

    def __init__(self, counter: Counts) -> None:
        self.counter = counter

    def item(
        self,
        kind: str,
        key: str,
        text: str,
        section: str,
        *,
        score: float = 0.0,
        droppable: bool = True,
        shrinkable: Item | None = None,
        extra_tokens: int = 0,
        **meta: Any,
    ) -> Item:
        meta["section"] = section
        tokens = self.counter.count(text) + extra_tokens
        return Item(kind, key, text, tokens, score, meta, droppable, shrinkable)

    def messages_item(
        self,
        kind: str,
        key: str,
        messages: list[tuple[str, str]],
        section: str,
        **meta: Any,
    ) -> Item:
        """An item that is whole chat messages (role, content), framing included."""
        meta["section"] = section
        meta["messages"] = messages
        tokens = sum(self.counter.count(content) + MESSAGE_TOKENS for _, content in messages)
        text = "\n\n".join(content for _, content in messages)
        return Item(kind, key, text, tokens, 0.0, meta)

    def smaller(self, item: Item, alternative: Item | None) -> Item:
        """``item`` with ``alternative`` as its stand-in, if that is really smaller."""
        kept = _if_smaller(item, alternative)
        return item if kept is None else replace(item, shrinkable=kept)

    def smaller_later(self, item: Item, make: Callable[[], Item | None]) -> Item:
        """``item`` with ``make()`` as its stand-in, made only if the planner asks for
        it (and then used only if it is really smaller)."""
        return replace(item, shrinkable=StandIn(lambda: _if_smaller(item, make())))

    def truncated(self, text: str, max_tokens: int) -> str | None:
        """A line-boundary prefix of ``text`` within ``max_tokens``, or None if all fits."""
        if self.counter.count(text) <= max_tokens:
            return None
        return self.counter.truncate(text, max_tokens, at_line=True)


def _if_smaller(item: Item, alternative: Item | None) -> Item | None:
    return alternative if alternative is not None and alternative.tokens < item.tokens else None
