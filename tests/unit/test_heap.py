"""The server's heap policy: what survives a full collection is frozen, and every
``REFRESH_SECONDS`` one full collection walks (and collects) everything again."""

from __future__ import annotations

import gc
import weakref

import pytest

from tandem.core import heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def freezer():
    """A freezer of its own (the process's, if an earlier test installed it, is set
    aside meanwhile)."""
    process = [cb for cb in gc.callbacks if cb == heap._FREEZER.after_collection]
    for callback in process:
        gc.callbacks.remove(callback)
    made = heap._Freezer()
    gc.callbacks.append(made.after_collection)
    try:
        yield made
    finally:
        gc.callbacks.remove(made.after_collection)
        gc.callbacks.extend(process)
        gc.unfreeze()
        gc.collect()


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(a)


def test_survivors_of_a_full_collection_are_frozen(freezer):
    kept = [Node() for _ in range(1000)]
    before = gc.get_freeze_count()
    gc.collect()
    assert gc.get_freeze_count() >= before + len(kept)
    assert not any(node is kept[0] for node in gc.get_objects(generation=2))


def test_a_frozen_cycle_is_collected_at_the_next_refresh(freezer):
    a, alive = cycle()
    gc.collect()  # frozen while still referenced
    del a
    gc.collect()
    assert alive() is not None  # garbage now, but frozen: not walked
    freezer.refreshed -= heap.REFRESH_SECONDS
    gc.collect()  # this pass unfreezes
    assert gc.get_freeze_count() == 0
    gc.collect()  # and this one walks everything
    assert alive() is None
    assert gc.get_freeze_count() > 0  # frozen again after it
