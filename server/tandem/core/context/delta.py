"""Send a file as it is now, as a diff against what the model saw, or not at all.

A file the model can already see (an earlier turn in this request's history carried
it) is not sent again: unchanged, it is named in one line; changed, it is sent as a
unified diff against the snapshot the model saw, unless the diff would be longer than
the file. Snapshots are addressed by :func:`content_hash`.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

DIFF_CONTEXT_LINES = 3

Mode = Literal["whole", "diff", "unchanged"]


@dataclass(frozen=True)
class Rendered:
    text: str
    """The body to send: the whole text, a unified diff, or a one-line reference."""
    mode: Mode
    hash: str
    """Hash of the current text (what the model knows after this turn)."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def render(
    path: str,
    text: str,
    sent: Mapping[str, str],
    get_snapshot: Callable[[str], str | None],
) -> Rendered:
    """How to send ``path`` (current ``text``) given what was ``sent`` (path -> hash)."""
    digest = content_hash(text)
    previous_hash = sent.get(path)
    if previous_hash is None:
        return Rendered(text, "whole", digest)
    if previous_hash == digest:
        return Rendered(unchanged_reference(path, text), "unchanged", digest)
    previous = get_snapshot(previous_hash)
    if previous is None:
        return Rendered(text, "whole", digest)
    patch = unified_diff(path, previous, text)
    if len(patch) >= len(text):
        return Rendered(text, "whole", digest)
    return Rendered(patch, "diff", digest)


def unchanged_reference(path: str, text: str) -> str:
    lines = line_count(text)
    plural = "" if lines == 1 else "s"
    return f"`{path}` unchanged since you saw it in an earlier turn ({lines} line{plural})"


def unified_diff(path: str, before: str, after: str, context: int = DIFF_CONTEXT_LINES) -> str:
    """A unified diff with ``a/`` and ``b/`` headers; every line ends with a newline."""
    lines = difflib.unified_diff(_lines(before), _lines(after), f"a/{path}", f"b/{path}", n=context)
    return "".join(lines)


def _lines(text: str) -> list[str]:
    """Lines with their endings; a last line without one gets a marked newline."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def stale_note(
    mentioned_paths: Iterable[str],
    sent_at_turn: Mapping[str, str],
    current_hashes: Mapping[str, str],
) -> str | None:
    """A note for a history turn that mentions files changed since that turn.

    Only files whose hash at the turn and now are both known are compared.
    """
    changed = sorted(
        {
            path
            for path in mentioned_paths
            if path in sent_at_turn
            and path in current_hashes
            and sent_at_turn[path] != current_hashes[path]
        }
    )
    if not changed:
        return None
    names = ", ".join(f"`{path}`" for path in changed)
    verb = "has" if len(changed) == 1 else "have"
    return f"note: {names} {verb} changed since this turn"
