"""What the server's processes give back: CPU priority to the editor, memory to the system."""

from __future__ import annotations

import ctypes
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

NICENESS = 10
"""How much lower than the server's the workers' CPU priority is (``nice``)."""


def yield_to_the_editor() -> None:
    """Lower this process's CPU priority by :data:`NICENESS`: when the cores are busy,
    the server's event loop (every keystroke) runs first, and this work takes what is
    left. On an idle machine it changes nothing."""
    if hasattr(os, "nice"):
        try:
            os.nice(NICENESS)
        except OSError as error:
            log.info("could not lower the priority of %d: %s", os.getpid(), error)


def return_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    Large strings (file texts, requests of a few hundred kilobytes) are malloc'd and
    freed outside Python's small-object arenas; glibc keeps what they leave in its
    heaps, so a process's RSS stays at its high-water mark long after the work is
    done. Elsewhere this does nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_TRIM: list[Any] = []


def _malloc_trim() -> Any:
    if not _TRIM:
        try:
            _TRIM.append(ctypes.CDLL(None).malloc_trim)  # the C library already loaded
        except (OSError, AttributeError):
            _TRIM.append(None)
    return _TRIM[0]
