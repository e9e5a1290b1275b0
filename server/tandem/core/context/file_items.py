"""The code and buffers sections: retrieved snippets and open files, without repeats.

* A snippet is not sent twice: a snippet inside the selection or inside a better-ranked
  snippet is dropped as a duplicate, and one that overlaps them keeps only the lines
  not shown yet.
* A snippet of a file that is open in the editor is folded into that buffer's item:
  the buffer's current text is what the model should see (it may hold unsaved
  edits), so the buffer is sent whole, or, when that does not fit, as those snippets'
  line ranges cut from the buffer's text.
* Whole files (open buffers, ``file`` candidates) go through :mod:`.delta`: a file the
  model can already see is named as unchanged or sent as a diff.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tandem.core.context import delta
from tandem.core.context.inputs import BufferView, CodeCandidate, ContextRequest, Selection
from tandem.core.context.items import Maker, clean, offset_lines
from tandem.core.context.planner import Item
from tandem.core.context.render import code_block, file_block, span_label

CODE = "code"
BUFFERS = "buffers"
SNIPPET_HEADS = (1024, 256)
"""A snippet that does not fit shrinks to its first lines, within these many tokens."""
FILE_HEADS = (4096, 1024, 256)
"""So does a whole file without retrieved snippets to stand in for it."""

Snapshots = Callable[[str], str | None]


@dataclass
class FileItems:
    code: list[Item] = field(default_factory=list)
    buffers: list[Item] = field(default_factory=list)
    dropped: list[tuple[str, Item, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Files:
    """What whole-file rendering needs: the maker and what the model has seen."""

    maker: Maker
    visible: Mapping[str, str]
    get_snapshot: Snapshots


def file_items(request: ContextRequest, maker: Maker, visible: Mapping[str, str]) -> FileItems:
    files = _Files(maker, visible, request.get_snapshot)
    open_paths = {buffer.path for buffer in request.buffers}
    folded: dict[str, list[CodeCandidate]] = {}
    out = FileItems()
    covered = _selection_ranges(request.selection)
    for candidate in sorted(request.code, key=lambda c: (-c.score, c.path, c.start_line)):
        if candidate.path in open_paths:
            folded.setdefault(candidate.path, []).append(candidate)
        elif candidate.kind == "file":
            item = _whole_file(
                files, CODE, "file", candidate.path, candidate.text,
                score=candidate.score, why=list(candidate.why),
            )  # fmt: skip
            out.code.append(item)
            covered.setdefault(candidate.path, []).append((1, delta.line_count(candidate.text)))
        else:
            _add_snippet(out, candidate, covered.setdefault(candidate.path, []), maker)
    out.buffers = _buffers(request, files, folded)
    return out


def _selection_ranges(selection: Selection | None) -> dict[str, list[tuple[int, int]]]:
    if selection is None:
        return {}
    return {selection.path: [(selection.start_line, selection.end_line)]}


def _add_snippet(
    out: FileItems, candidate: CodeCandidate, covered: list[tuple[int, int]], maker: Maker
) -> None:
    parts = uncovered(candidate, covered)
    if not parts:
        out.dropped.append((CODE, _snippet(candidate, maker), "duplicate: already shown"))
        return
    for part in parts:
        out.code.append(_snippet(part, maker))
        covered.append((part.start_line, part.end_line))


def uncovered(candidate: CodeCandidate, covered: list[tuple[int, int]]) -> list[CodeCandidate]:
    """The parts of ``candidate`` whose lines no range in ``covered`` holds."""
    first, last = candidate.start_line, candidate.end_line
    overlapping = [(a, b) for a, b in covered if a <= last and b >= first]
    if not overlapping:
        return [candidate]
    span = range(first, last + 1)
    free = [n for n in span if not any(a <= n <= b for a, b in overlapping)]
    lines = candidate.text.splitlines(keepends=True)
    if not free or len(lines) != len(span):
        return [] if not free else [candidate]
    return [_part(candidate, lines, run) for run in _runs(free)]


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _part(candidate: CodeCandidate, lines: list[str], run: tuple[int, int]) -> CodeCandidate:
    first, last = run[0] - candidate.start_line, run[1] - candidate.start_line
    text = "".join(lines[first : last + 1])
    return replace(candidate, start_line=run[0], end_line=run[1], text=text)


def _title(candidate: CodeCandidate) -> str:
    return f"{candidate.kind} {candidate.name}" if candidate.name else candidate.kind


def _snippet(candidate: CodeCandidate, maker: Maker) -> Item:
    path, start, end = candidate.path, candidate.start_line, candidate.end_line
    cleaned = clean(candidate.text, CODE, path, offset_lines(start))
    title = _title(candidate)
    meta: dict[str, Any] = {
        "path": path,
        "start_line": start,
        "end_line": end,
        "why": list(candidate.why),
        "redactions": cleaned.redactions,
    }
    block = code_block(path, start, end, cleaned.text, title)
    key = span_label(path, start, end)
    item = maker.item("code", key, block, CODE, score=candidate.score, **meta)
    return maker.smaller_later(
        item, lambda: _heads(maker, item, cleaned.text, title, SNIPPET_HEADS)
    )


def _buffers(
    request: ContextRequest, files: _Files, folded: dict[str, list[CodeCandidate]]
) -> list[Item]:
    def rank(entry: tuple[int, BufferView]) -> tuple[bool, bool, int]:
        index, buffer = entry
        return (buffer.path != request.active_path, not buffer.dirty, index)

    items = []
    for _, buffer in sorted(enumerate(request.buffers), key=rank):
        snippets = sorted(folded.get(buffer.path, []), key=lambda c: c.start_line)
        notes = ["active"] * (buffer.path == request.active_path)
        notes += ["unsaved changes"] * buffer.dirty
        why = ["open buffer", *notes, *(w for c in snippets for w in c.why)]
        score = max((c.score for c in snippets), default=0.0)
        item = _whole_file(
            files, BUFFERS, "buffer", buffer.path, buffer.text,
            notes=notes, score=score, why=list(dict.fromkeys(why)), snippets=snippets,
        )  # fmt: skip
        items.append(item)
    return items


def _whole_file(
    files: _Files,
    section: str,
    kind: str,
    path: str,
    text: str,
    *,
    notes: Sequence[str] = (),
    score: float = 0.0,
    why: Sequence[str] = (),
    snippets: Sequence[CodeCandidate] = (),
) -> Item:
    """A whole file, through :mod:`.delta`, with snippets or its head as stand-ins."""
    cleaned = clean(text, section, path)
    rendered = delta.render(path, cleaned.text, files.visible, files.get_snapshot)
    lines = delta.line_count(cleaned.text)
    meta: dict[str, Any] = {"path": path, "start_line": 1, "end_line": lines, "why": list(why)}
    meta["mode"] = rendered.mode
    meta["hash"] = rendered.hash
    if rendered.mode != "unchanged":
        meta["redactions"] = cleaned.redactions
        meta["snapshot"] = (rendered.hash, cleaned.text)
    if rendered.mode == "diff":
        meta["base"] = files.visible[path]
    block = file_block(path, rendered, list(notes))
    item = files.maker.item(kind, path, block, section, score=score, **meta)
    if rendered.mode == "unchanged":
        return item

    def alternative() -> Item | None:
        if snippets:
            return _snippets_item(files.maker, section, kind, path, cleaned.text, snippets, item)
        return _heads(files.maker, item, cleaned.text, None, FILE_HEADS)

    return files.maker.smaller_later(item, alternative)


def _snippets_item(
    maker: Maker,
    section: str,
    kind: str,
    path: str,
    text: str,
    snippets: Sequence[CodeCandidate],
    whole: Item,
) -> Item | None:
    """The snippets' line ranges cut from the file's current (redacted) text."""
    lines = text.splitlines(keepends=True)
    blocks: list[str] = []
    ranges: list[tuple[int, int]] = []
    for candidate in snippets:
        start, end = max(1, candidate.start_line), min(len(lines), candidate.end_line)
        if start > end:
            continue
        body = "".join(lines[start - 1 : end])
        blocks.append(code_block(path, start, end, body, _title(candidate)))
        ranges.append((start, end))
    if not blocks:
        return None
    redactions = [
        r for r in whole.meta.get("redactions", []) if any(a <= r.line <= b for a, b in ranges)
    ]
    why = [*whole.meta["why"], "snippets " + ", ".join(f"{a}-{b}" for a, b in ranges)]
    return maker.item(
        kind,
        path,
        "".join(blocks),
        section,
        score=whole.score,
        path=path,
        why=why,
        mode="snippets",
        redactions=redactions,
    )


def _heads(
    maker: Maker, item: Item, text: str, title: str | None, steps: tuple[int, ...]
) -> Item | None:
    """Stand-ins for ``item`` showing the first lines of ``text``, one per size in ``steps``
    (largest first, each the next one's fallback); None when none is smaller."""
    start = int(item.meta.get("start_line") or 1)
    total = delta.line_count(text)
    path = str(item.meta["path"])
    chain: Item | None = None
    for limit in sorted(steps):
        head = maker.truncated(text, limit)
        if not head:
            continue
        shown = delta.line_count(head)
        end = start + shown - 1
        note = f"first {shown} of {total} lines"
        block = code_block(path, start, end, head, f"{title}; {note}" if title else note)
        meta = {k: v for k, v in item.meta.items() if k not in ("snapshot", "hash", "base")}
        meta.update(end_line=end, mode="head" if item.meta.get("mode") else None)
        meta["redactions"] = [r for r in item.meta.get("redactions", []) if r.line <= end]
        section = meta.pop("section")
        alternative = maker.item(item.kind, item.key, block, section, score=item.score, **meta)
        chain = maker.smaller(alternative, chain) if chain is not None else alternative
    return chain
