"""Bounded memos: an ``OrderedDict`` holding its newest entries last."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def put(memo: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    """Keep ``value`` under ``key`` as the newest entry; the oldest go past ``limit``."""
    memo[key] = value
    memo.move_to_end(key)
    while len(memo) > limit:
        memo.popitem(last=False)
