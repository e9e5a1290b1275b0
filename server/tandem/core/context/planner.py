"""Fit named sections of candidate items into a token budget (pure, deterministic).

Sections come in a fixed order (:data:`SECTION_ORDER`), which is also the order the
request is laid out in, so the prefix of a request stays stable from turn to turn.
Each section holds candidate :class:`Item` s in priority order; each item carries its
exact token count (whatever text it will add to the request, including per-message
overhead for items that are messages of their own).

How the budget is spent:

1. **Mandatory items** (``droppable=False``: the system prompt, the prompt and its
   selection) are always included, plus the ``reserved`` tokens (fixed overhead) and
   the header of every section that has a mandatory item. If they alone exceed the
   budget, :class:`~tandem.core.errors.ContextError` says how many tokens are needed
   and how many are available.
2. **Quotas.** What is left is shared among the other sections by
   :data:`DEFAULT_SHARES` (of the budget left after step 1). Sections are filled in
   order; a section's allowance is its quota plus whatever earlier sections left
   unused (flow-on). Within a section items are taken in order; an item that does not
   fit may be replaced by its smaller alternative (``shrinkable``, itself an item,
   possibly with a smaller one still, or a :class:`StandIn` that makes it only when
   it is first asked for); otherwise it is dropped, with the reason
   ``"over budget"`` when it would not fit even in all the budget left, else
   ``"section quota"``. A section's header counts against it with its first item.
3. **Flow back.** Budget still unused after the last section goes, in section order,
   to dropped items that now fit (full size or shrunk), so a section that wanted more
   gets what others did not need.

Items of a kind listed in ``contiguous`` (history turns: a conversation with a hole in
it misleads) are taken as a run: within a section, the first such item that cannot be
included ends the run, and later items of that kind are dropped too.

The included total (items + headers + reserved) never exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tandem.core.errors import ContextError

SECTION_ORDER = ("system", "workspace", "git", "code", "buffers", "history", "prompt")

DEFAULT_SHARES: Mapping[str, float] = {
    "workspace": 0.03,
    "git": 0.15,
    "code": 0.40,
    "buffers": 0.15,
    "history": 0.25,
}
"""Shares of the budget left after mandatory items; any unused share flows on."""

OVER_BUDGET = "over budget"
SECTION_QUOTA = "section quota"


class StandIn:
    """A smaller alternative made on first use, then kept.

    Making one costs token work (cutting text to a token limit), and most requests fit
    without any item shrinking: the planner asks only for those that do not fit."""

    def __init__(self, make: Callable[[], Item | None]) -> None:
        self._make: Callable[[], Item | None] | None = make
        self._item: Item | None = None

    def get(self) -> Item | None:
        if self._make is not None:
            self._item, self._make = self._make(), None
        return self._item


@dataclass(frozen=True)
class Item:
    kind: str
    key: str
    """Identifies the item (for example ``path:10-42``); stable across runs."""
    text: str
    tokens: int
    score: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    droppable: bool = True
    shrinkable: Item | StandIn | None = None
    """A smaller stand-in, used when this item does not fit."""

    def alternatives(self) -> Iterator[Item]:
        """This item, then each smaller stand-in in turn (made as they are reached)."""
        current: Item | None = self
        while current is not None:
            yield current
            shrinkable = current.shrinkable
            current = shrinkable.get() if isinstance(shrinkable, StandIn) else shrinkable


@dataclass(frozen=True)
class Plan:
    sections: dict[str, list[Item]]
    """Included items per section (every name of the order), in priority order."""
    dropped: list[tuple[Item, str]]
    total_tokens: int
    budget: int


@dataclass(frozen=True)
class Budget:
    """What the request may spend: the window minus the answer and a safety margin."""

    context_window: int
    max_output: int
    margin: int = 0
    max_budget: int | None = None

    @property
    def available(self) -> int:
        room = self.context_window - self.max_output - self.margin
        return room if self.max_budget is None else min(room, self.max_budget)


class _Ledger:
    """Running state of one planning pass."""

    def __init__(self, budget: int, order: Sequence[str]) -> None:
        self.budget = budget
        self.used = 0
        self.included: dict[str, list[tuple[int, Item]]] = {name: [] for name in order}
        self.dropped: dict[tuple[str, int], tuple[Item, str]] = {}

    @property
    def left(self) -> int:
        return self.budget - self.used

    def include(self, section: str, index: int, item: Item, cost: int) -> None:
        self.included[section].append((index, item))
        self.used += cost


def plan(
    sections: Mapping[str, Sequence[Item]],
    budget: int,
    *,
    shares: Mapping[str, float] = DEFAULT_SHARES,
    headers: Mapping[str, int] | None = None,
    reserved: int = 0,
    contiguous: frozenset[str] = frozenset({"turn"}),
    order: Sequence[str] = SECTION_ORDER,
) -> Plan:
    """Choose the items of ``sections`` that fit in ``budget`` tokens (see module doc)."""
    unknown = sorted(set(sections) - set(order))
    if unknown:
        raise ValueError(f"unknown sections {unknown}; known: {list(order)}")
    headers = headers or {}
    ledger = _Ledger(budget, order)
    _include_mandatory(ledger, sections, headers, reserved, order)
    quotas = _quotas(ledger.left, shares, order)
    carry = 0
    for name in order:
        allowance = quotas.get(name, 0) + carry
        spent = _fill(
            ledger, name, sections.get(name, ()), allowance, headers.get(name, 0), contiguous
        )
        carry = allowance - spent
    for name in order:
        _flow_back(ledger, name, sections.get(name, ()), headers.get(name, 0), contiguous)
    return _result(ledger, order)


def _include_mandatory(
    ledger: _Ledger,
    sections: Mapping[str, Sequence[Item]],
    headers: Mapping[str, int],
    reserved: int,
    order: Sequence[str],
) -> None:
    ledger.used = reserved
    for name in order:
        mandatory = [
            (i, item) for i, item in enumerate(sections.get(name, ())) if not item.droppable
        ]
        if mandatory:
            ledger.used += headers.get(name, 0)
        for index, item in mandatory:
            ledger.include(name, index, item, item.tokens)
    if ledger.used > ledger.budget:
        raise ContextError(
            f"The prompt and selection need {ledger.used} tokens but only {ledger.budget} "
            "are available. Shorten the selection or prompt, or make room: raise "
            "model.contextWindow (if the model allows), lower model.maxOutputTokens or "
            "context.marginTokens, or raise context.maxBudgetTokens."
        )


def _quotas(room: int, shares: Mapping[str, float], order: Sequence[str]) -> dict[str, int]:
    return {name: int(room * shares.get(name, 0.0)) for name in order}


def _fill(
    ledger: _Ledger,
    name: str,
    items: Sequence[Item],
    allowance: int,
    header: int,
    contiguous: frozenset[str],
) -> int:
    """First pass over one section; returns the tokens it spent."""
    spent = 0
    stopped: dict[str, str] = {}
    for index, item in enumerate(items):
        if not item.droppable:
            continue
        if item.kind in stopped:
            ledger.dropped[(name, index)] = (item, stopped[item.kind])
            continue
        opening = header if not ledger.included[name] else 0
        choice = _fitting(item, min(allowance - spent, ledger.left) - opening)
        if choice is None:
            reason = _reason(item, ledger.left - opening)
            ledger.dropped[(name, index)] = (item, reason)
            if item.kind in contiguous:
                stopped[item.kind] = reason
            continue
        ledger.include(name, index, choice, choice.tokens + opening)
        spent += choice.tokens + opening
    return spent


def _flow_back(
    ledger: _Ledger, name: str, items: Sequence[Item], header: int, contiguous: frozenset[str]
) -> None:
    """Second pass: give budget nobody used to this section's dropped items, in order."""
    stopped: set[str] = set()
    for index, item in enumerate(items):
        entry = ledger.dropped.get((name, index))
        if entry is None or item.kind in stopped:
            continue
        opening = header if not ledger.included[name] else 0
        choice = _fitting(item, ledger.left - opening)
        if choice is None:
            if item.kind in contiguous:
                stopped.add(item.kind)
            continue
        del ledger.dropped[(name, index)]
        ledger.include(name, index, choice, choice.tokens + opening)


def _fitting(item: Item, room: int) -> Item | None:
    for index, candidate in enumerate(item.alternatives()):
        if candidate.tokens <= room:
            if index == 0:
                return candidate
            return replace(candidate, key=item.key, meta={**candidate.meta, "shrunk": True})
    return None


def _reason(item: Item, total_room: int) -> str:
    smallest = min(candidate.tokens for candidate in item.alternatives())
    return OVER_BUDGET if smallest > total_room else SECTION_QUOTA


def _result(ledger: _Ledger, order: Sequence[str]) -> Plan:
    sections = {
        name: [item for _, item in sorted(ledger.included[name], key=_first)] for name in order
    }
    dropped_keys = sorted(ledger.dropped, key=lambda key: (order.index(key[0]), key[1]))
    dropped = [_with_section(key[0], *ledger.dropped[key]) for key in dropped_keys]
    return Plan(sections, dropped, ledger.used, ledger.budget)


def _with_section(section: str, item: Item, reason: str) -> tuple[Item, str]:
    """A dropped item, its ``meta["section"]`` telling where it was dropped from."""
    if item.meta.get("section") == section:
        return item, reason
    return replace(item, meta={**item.meta, "section": section}), reason


def _first(entry: tuple[int, Item]) -> int:
    return entry[0]
