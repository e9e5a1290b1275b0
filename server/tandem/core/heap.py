"""Keeping the garbage collector's full passes short in the server.

A full collection walks every object the collector tracks. After the first index the
server holds tens of thousands that stay (the folders' file tables, caches, modules);
walked on every full pass, they cost tens of milliseconds, landing on whichever
request allocates at that moment: under ten chat sessions, the keystroke that waited
longest had waited for one. So the survivors are frozen (:func:`gc.freeze`: exempt from
later passes), once after the first index and then after every full pass, which then
walks only what was made since. Frozen objects that later become garbage in a cycle
would never be collected, so every :data:`REFRESH_SECONDS` the heap is unfrozen and the
next full pass walks, and collects, everything once.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from tandem.core.priority import return_free_memory

REFRESH_SECONDS = 600.0


class _Freezer:
    def __init__(self) -> None:
        self.installed = False
        self.refreshed = time.monotonic()
        self.refreshing = False

    def after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        if self.refreshing:  # this pass walked everything
            self.refreshing = False
            self.refreshed = time.monotonic()
        elif time.monotonic() - self.refreshed >= REFRESH_SECONDS:
            gc.unfreeze()
            self.refreshing = True
            return
        gc.freeze()


_FREEZER = _Freezer()


def settle_heap() -> None:
    """Collect what the first index left behind, freeze what stays, and from then on
    freeze what survives each full collection."""
    gc.collect()
    gc.freeze()
    return_free_memory()
    if not _FREEZER.installed:
        _FREEZER.installed = True
        _FREEZER.refreshed = time.monotonic()
        gc.callbacks.append(_FREEZER.after_collection)
