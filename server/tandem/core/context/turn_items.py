"""The history section: earlier exchanges, newest first, and a summary of older ones.

An exchange is a user message and the assistant's answer (consecutive messages of one
role are joined), so history keeps strict user/assistant alternation. Exchanges are
offered newest first and kept as a run (the planner's ``contiguous`` kind ``turn``):
the conversation never has a hole in it. An exchange that does not fit whole may shrink
to each message's first :data:`SHRUNK_MESSAGE_TOKENS` tokens. A user message whose
exchange mentions a file changed since then carries a note saying so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tandem.core.context.delta import stale_note
from tandem.core.context.inputs import ContextRequest, HistoryTurn
from tandem.core.context.items import Maker, clean
from tandem.core.context.manifest import Redaction
from tandem.core.context.planner import Item
from tandem.core.context.render import history_summary_block

SECTION = "history"
SHRUNK_MESSAGE_TOKENS = 256
SUMMARY_SHRINK_TOKENS = 512
TRUNCATED = "\n[… truncated]"


@dataclass
class _Exchange:
    turns: list[HistoryTurn] = field(default_factory=list)

    def of(self, role: str) -> list[HistoryTurn]:
        return [turn for turn in self.turns if turn.role == role]


def history_items(
    request: ContextRequest, maker: Maker, current_hashes: Mapping[str, str]
) -> tuple[list[Item], list[tuple[str, Item, str]]]:
    """History items (newest exchange first, then the summary) and turns left out."""
    exchanges, left_out = _exchanges(sorted(request.history, key=lambda t: t.seq))
    items = [_exchange_item(e, maker, current_hashes) for e in reversed(exchanges)]
    if request.history_summary and request.history_summary.strip():
        items.append(_summary_item(request.history_summary, maker))
    dropped = [(SECTION, _turn_item(turn, maker), reason) for turn, reason in left_out]
    return items, dropped


def _exchanges(
    turns: Sequence[HistoryTurn],
) -> tuple[list[_Exchange], list[tuple[HistoryTurn, str]]]:
    exchanges: list[_Exchange] = []
    left_out: list[tuple[HistoryTurn, str]] = []
    for turn in turns:
        if turn.role not in ("user", "assistant"):
            left_out.append((turn, f"role {turn.role!r} is not replayed"))
        elif turn.role == "user" and (not exchanges or exchanges[-1].of("assistant")):
            exchanges.append(_Exchange([turn]))
        elif exchanges:
            exchanges[-1].turns.append(turn)
        else:
            left_out.append((turn, "answer without its question"))
    return exchanges, left_out


def _exchange_item(exchange: _Exchange, maker: Maker, current: Mapping[str, str]) -> Item:
    redactions: list[Redaction] = []
    user = _joined(exchange.of("user"), redactions)
    note = _stale(exchange, current)
    if note:
        user += f"\n\n({note})"
    messages = [("user", user)]
    answers = exchange.of("assistant")
    if answers:
        messages.append(("assistant", _joined(answers, redactions)))
    first = exchange.turns[0].seq
    meta: dict[str, Any] = {
        "seq": first,
        "why": [f"turn {first}"] + ([note] if note else []),
        "carries": _carried(exchange),
        "redactions": redactions,
    }
    item = maker.messages_item("turn", f"turn:{first}", messages, SECTION, **meta)

    def shrunk() -> Item | None:
        short = [(role, _shrink(content, maker)) for role, content in messages]
        return (
            None
            if short == messages
            else maker.messages_item("turn", item.key, short, SECTION, **meta)
        )

    return maker.smaller_later(item, shrunk)


def _joined(turns: list[HistoryTurn], redactions: list[Redaction]) -> str:
    parts = []
    for turn in turns:
        cleaned = clean(turn.content, SECTION, None)
        redactions += cleaned.redactions
        parts.append(cleaned.text)
    return "\n\n".join(parts)


def _stale(exchange: _Exchange, current: Mapping[str, str]) -> str | None:
    mentioned = [path for turn in exchange.turns for path in turn.mentioned_paths]
    sent_then: dict[str, str] = {}
    for turn in exchange.of("user"):
        sent_then.update(turn.file_hashes)
    return stale_note(mentioned, sent_then, current)


def _carried(exchange: _Exchange) -> dict[str, tuple[str, str | None]]:
    """Files this exchange's messages carry: path -> (hash, hash of the diff's base or None)."""
    carried: dict[str, tuple[str, str | None]] = {}
    for turn in exchange.of("user"):
        if turn.carries_files:
            for path, digest in turn.file_hashes.items():
                carried[path] = (digest, turn.file_bases.get(path))
    return carried


def _shrink(content: str, maker: Maker) -> str:
    head = maker.truncated(content, SHRUNK_MESSAGE_TOKENS)
    return content if head is None else head.rstrip("\n") + TRUNCATED


def _summary_item(summary: str, maker: Maker) -> Item:
    cleaned = clean(summary.strip(), SECTION, None)
    meta: dict[str, Any] = {"why": ["summary of older turns"], "redactions": cleaned.redactions}
    item = maker.item(
        "history_summary", "history:summary", history_summary_block(cleaned.text), SECTION, **meta
    )
    head = maker.truncated(cleaned.text, SUMMARY_SHRINK_TOKENS)
    if head is None:
        return item
    short = history_summary_block(head.rstrip("\n") + TRUNCATED)
    return maker.smaller(item, maker.item("history_summary", item.key, short, SECTION, **meta))


def _turn_item(turn: HistoryTurn, maker: Maker) -> Item:
    return maker.messages_item(
        "turn", f"turn:{turn.seq}", [(turn.role, turn.content)], SECTION, seq=turn.seq
    )
