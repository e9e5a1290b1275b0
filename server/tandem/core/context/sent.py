"""What earlier turns sent, read from the history store once and then remembered.

Every request replays the session's history, and each user turn needs what its reply
was sent with: the files' hashes, the stored request, the diffs' bases. Those records
never change once written (a context is recorded once per reply; snapshots are
addressed by their content), so they are kept here instead of being read and parsed
again for every turn of every request: in a long session that parsing was most of
the cost of gathering history.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from tandem.core import lru
from tandem.core.history.store import HistoryStore

REQUEST_KEY = "requestHash"
"""Manifest key: hash of the final user message as sent (stored as a snapshot)."""


@dataclass(frozen=True)
class SentTurn:
    """What one reply's request carried."""

    file_hashes: dict[str, str]
    """Path -> hash of each file as that request sent it."""
    request: str | None
    """The hash of the stored request text, if it was stored."""
    diff_bases: dict[str, str]
    """Files sent as a diff -> the hash of the version the diff applies to."""


class SentRecords:
    """A bounded memory of :class:`SentTurn` s by reply id, and of request texts."""

    def __init__(self, turns: int = 4096, texts: int = 16) -> None:
        self._turns: OrderedDict[str, SentTurn] = OrderedDict()
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._limits = (turns, texts)
        self._store: HistoryStore | None = None
        self._lock = threading.Lock()

    def turn(self, store: HistoryStore, reply_id: str) -> SentTurn | None:
        """What the request answered by ``reply_id`` carried; None if nothing was
        recorded (yet: that is not remembered, the record may still be written)."""
        with self._lock:
            self._same_store(store)
            found = self._turns.get(reply_id)
        if found is not None:
            return found
        record = store.get_context(reply_id)
        if record is None:
            return None
        request = record.manifest.get(REQUEST_KEY)
        sent = SentTurn(
            dict(record.snapshots),
            request if isinstance(request, str) else None,
            diff_bases(record.manifest),
        )
        with self._lock:
            lru.put(self._turns, reply_id, sent, self._limits[0])
        return sent

    def request_text(self, store: HistoryStore, digest: str) -> str | None:
        """The stored text of a request, by its hash."""
        with self._lock:
            self._same_store(store)
            found = self._texts.get(digest)
        if found is not None:
            return found
        text = store.get_snapshot(digest)
        if text is not None:
            with self._lock:
                lru.put(self._texts, digest, text, self._limits[1])
        return text

    def _same_store(self, store: HistoryStore) -> None:
        """Forget everything when the history moves to another store (a settings change)."""
        if store is not self._store:
            self._store = store
            self._turns.clear()
            self._texts.clear()


def diff_bases(manifest: dict[str, Any]) -> dict[str, str]:
    """Files a turn sent as a diff, and the hash of the version the diff applies to."""
    items = manifest.get("items", [])
    return {
        i["path"]: i["baseHash"]
        for i in items
        if isinstance(i, dict) and "baseHash" in i and "path" in i
    }
