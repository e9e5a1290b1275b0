"""Redaction results kept by content, and large texts redacted a block at a time.

Redaction is a pure function of the text, and a conversation redacts the same texts
again and again (the chunks a question keeps finding, the open buffers, the replayed
earlier requests), so :class:`RedactionMemo` keeps results by a hash of the text.

A large open buffer changes with every keystroke, and redacting all of it again costs
tens of milliseconds (50 ms for 20,000 lines), held mostly inside single regex scans
that no other thread can interrupt. So a text of :data:`PIECEWISE_MIN` characters or
more is cut into blocks of about :data:`BLOCK` characters, each cut at a blank line, and
each block is redacted within a window reaching :data:`MARGIN` characters into its
neighbours; the window's result is kept by the window's content. After an edit only the
blocks whose windows hold the change are redacted again.

A window finds what a scan of the whole text finds as long as no match reaches across
its edge. Every rule but the private-key blocks matches at most a few hundred
characters, so the margins cover any match that starts in the block; the windows'
findings are joined and overlaps resolved as :func:`redact` resolves them. Where that
cannot be promised the whole text is redacted at once instead: a window holding the
start of a key block (``-----BEGIN``, whose body may run for many lines), or a finding
that ends near its window's far edge (it might run on beyond it).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from itertools import pairwise

from tandem.core.redact import KEY_BLOCK_START, Redacted, Span, apply, find_spans, redact

PIECEWISE_MIN = 65_536
"""Texts at least this long are redacted a block at a time."""
BLOCK = 16_384
"""A block's least length before it is cut at the next blank line."""
LONGEST_BLOCK = 4 * BLOCK
"""With no blank line this far, a block is cut at the next line break."""
MARGIN = 2_048
"""How far a window reaches past its block on either side."""
EDGE = 1_024
"""A finding ending this close to its window's far edge may be cut short by it."""


@dataclass(frozen=True)
class _Window:
    spans: tuple[Span, ...]
    """Findings starting in the block, as offsets from the window's start."""
    whole: bool
    """This window cannot promise what a scan of the whole text finds."""


class RedactionMemo:
    """Recent :func:`redact` results by content, up to ``max_chars`` of text."""

    def __init__(self, max_chars: int = 4_000_000) -> None:
        self.max_chars = max_chars
        self._results: OrderedDict[bytes, tuple[Redacted | _Window, int]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def redact(self, text: str) -> Redacted:
        if len(text) >= PIECEWISE_MIN:
            return self._piecewise(text)
        key = _digest(text)
        found = self._get(key)
        if isinstance(found, Redacted):
            return found
        result = redact(text)
        self._put(key, result, len(text))
        return result

    def _piecewise(self, text: str) -> Redacted:
        spans: list[Span] = []
        for start, end in blocks(text):
            window_start = max(0, start - MARGIN)
            window_end = min(len(text), end + MARGIN)
            window = self._window(
                text[window_start:window_end],
                (start - window_start, end - window_start, window_end == len(text)),
            )
            if window.whole:
                return redact(text)
            spans.extend(replace(s, start=s.start + window_start, end=s.end + window_start)
                         for s in window.spans)  # fmt: skip
        return apply(text, spans)

    def _window(self, window_text: str, block: tuple[int, int, bool]) -> _Window:
        key = _digest(window_text, repr(block))
        found = self._get(key)
        if isinstance(found, _Window):
            return found
        result = _scan_window(window_text, *block)
        self._put(key, result, len(window_text))
        return result

    def _get(self, key: bytes) -> Redacted | _Window | None:
        with self._lock:
            found = self._results.get(key)
            if found is None:
                return None
            self._results.move_to_end(key)
            return found[0]

    def _put(self, key: bytes, value: Redacted | _Window, size: int) -> None:
        if size > self.max_chars // 4:
            return
        with self._lock:
            if key not in self._results:
                self._results[key] = (value, size)
                self._chars += size
            while self._chars > self.max_chars:
                _, (_, dropped) = self._results.popitem(last=False)
                self._chars -= dropped


def blocks(text: str) -> list[tuple[int, int]]:
    """``text`` cut into ``(start, end)`` blocks, each ending at a blank line's first
    line break (or, with none near, at a line break) so that an edit moves no cut but
    its own block's: a cut depends only on the text since the cut before it."""
    cuts = [0]
    while len(text) - cuts[-1] > BLOCK + BLOCK // 2:
        start = cuts[-1] + BLOCK
        cut = text.find("\n\n", start, cuts[-1] + LONGEST_BLOCK)
        if cut < 0:
            cut = text.find("\n", start)
        if cut < 0 or len(text) - cut < BLOCK // 2:
            break
        cuts.append(cut + 1)
    cuts.append(len(text))
    return list(pairwise(cuts))


def _scan_window(window_text: str, start: int, end: int, at_text_end: bool) -> _Window:
    """The findings that start in the block ``[start, end)`` of a window."""
    if KEY_BLOCK_START in window_text:
        return _Window((), whole=True)
    near_edge = len(window_text) - EDGE
    kept = []
    for span in find_spans(window_text):
        if not start <= span.start < end:
            continue  # a neighbouring block reports it
        if span.end > near_edge and not at_text_end:
            return _Window((), whole=True)
        kept.append(span)
    return _Window(tuple(kept), whole=False)


def _digest(text: str, salt: str = "") -> bytes:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(salt.encode())
    return digest.digest()
