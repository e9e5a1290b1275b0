"""CPU priority of the server's worker processes."""

from __future__ import annotations

import logging
import os

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
