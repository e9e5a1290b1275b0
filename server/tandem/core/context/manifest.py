"""What a request carried and what it left out, and why: one JSON-ready dict.

Shape (camelCase keys on the wire)::

    {
      "items":    [{"section", "kind", "key", "path", "lines", "tokens", "score", "why",
                    "mode", "shrunk"}],
      "dropped":  [{"section", "kind", "key", "path", "lines", "tokens", "score", "reason"}],
      "sections": {name: {"tokens", "items", "dropped"}},
      "totalTokens": int,      # everything the request counts, overhead included
      "overheadTokens": int,   # message framing and section headers
      "budget": int,
      "encoding": str,
      "redactions": [{"section", "path", "kind", "line"}],   # never the secret itself
    }

``lines`` is ``[start, end]`` (1-based, inclusive) or ``null``; ``mode`` is how a file
was sent (``whole``, ``diff``, ``unchanged``, ``snippets``, ``head``) or ``null``. A
file sent whole or as a diff also has ``hash`` (its content now) and, for a diff,
``baseHash`` (the version it was diffed against).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tandem.core.context.planner import Item, Plan


@dataclass(frozen=True)
class Redaction:
    section: str
    path: str | None
    kind: str
    line: int


def build(
    plan: Plan,
    encoding: str,
    redactions: Iterable[Redaction] = (),
    dropped_before: Sequence[tuple[str, Item, str]] = (),
    total_tokens: int | None = None,
) -> dict[str, Any]:
    """The manifest of ``plan``.

    ``dropped_before`` holds (section, item, reason) left out before planning
    (duplicates, unusable history turns); ``total_tokens`` is the count of the final
    messages when known (else the plan's total).
    """
    items = [_entry(name, item) for name, section in plan.sections.items() for item in section]
    dropped = [
        {**_entry(section, item, full=False), "reason": reason}
        for section, item, reason in dropped_before
    ]
    for item, reason in plan.dropped:
        section = str(item.meta.get("section", item.kind))
        dropped.append({**_entry(section, item, full=False), "reason": reason})
    item_tokens = sum(entry["tokens"] for entry in items)
    total = plan.total_tokens if total_tokens is None else total_tokens
    return {
        "items": items,
        "dropped": dropped,
        "sections": _section_totals(plan, dropped),
        "totalTokens": total,
        "overheadTokens": max(0, total - item_tokens),
        "budget": plan.budget,
        "encoding": encoding,
        "redactions": [_redaction(r) for r in redactions],
    }


def _entry(section: str, item: Item, full: bool = True) -> dict[str, Any]:
    meta = item.meta
    start, end = meta.get("start_line"), meta.get("end_line")
    entry: dict[str, Any] = {
        "section": section,
        "kind": item.kind,
        "key": item.key,
        "path": meta.get("path"),
        "lines": [start, end] if start is not None and end is not None else None,
        "tokens": item.tokens,
        "score": round(item.score, 4),
    }
    if full:
        entry["why"] = list(meta.get("why", []))
        entry["mode"] = meta.get("mode")
        entry["shrunk"] = bool(meta.get("shrunk", False))
        if "snapshot" in meta and not entry["shrunk"]:
            entry["hash"] = meta["snapshot"][0]
        if "base" in meta and not entry["shrunk"]:
            entry["baseHash"] = meta["base"]
    return entry


def _section_totals(plan: Plan, dropped: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals = {
        name: {"tokens": sum(item.tokens for item in section), "items": len(section), "dropped": 0}
        for name, section in plan.sections.items()
    }
    for entry in dropped:
        totals.setdefault(entry["section"], {"tokens": 0, "items": 0, "dropped": 0})
        totals[entry["section"]]["dropped"] += 1
    return totals


def _redaction(redaction: Redaction) -> dict[str, Any]:
    return {
        "section": redaction.section,
        "path": redaction.path,
        "kind": redaction.kind,
        "line": redaction.line,
    }


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """A short form for chat results: totals, per-section tokens, files, redactions
    (their count, and per file the count of each kind)."""
    files = sorted({entry["path"] for entry in manifest["items"] if entry.get("path")})
    return {
        "totalTokens": manifest["totalTokens"],
        "budget": manifest["budget"],
        "encoding": manifest["encoding"],
        "items": len(manifest["items"]),
        "dropped": len(manifest["dropped"]),
        "sections": {name: s["tokens"] for name, s in manifest["sections"].items() if s["items"]},
        "files": files,
        "redactions": len(manifest["redactions"]),
        "redacted": redaction_counts(manifest["redactions"]),
    }


def redaction_counts(redactions: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per file (or ``(section)`` for text of no file, like the prompt): kind -> count.

    Says what was withheld from a request without saying anything of the values.
    """
    counts: dict[str, dict[str, int]] = {}
    for r in redactions:
        where = r["path"] or f"({r['section']})"
        kinds = counts.setdefault(where, {})
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    return counts


def render_table(manifest: dict[str, Any]) -> str:
    """A plain-text table for ``tandem context``."""
    total, budget = manifest["totalTokens"], manifest["budget"]
    lines = [f"Context: {total:,} of {budget:,} tokens ({manifest['encoding']})", ""]
    lines += _table(
        ("section", "kind", "source", "tokens", "score", "note"),
        [_row(entry, _note(entry)) for entry in manifest["items"]],
    )
    lines.append(f"  overhead (message framing, headers): {manifest['overheadTokens']:,}")
    if manifest["dropped"]:
        lines += ["", "Dropped:"]
        lines += _table(
            ("section", "kind", "source", "tokens", "score", "reason"),
            [_row(entry, entry["reason"]) for entry in manifest["dropped"]],
        )
    if manifest["redactions"]:
        lines += ["", "Redacted:"]
        for r in manifest["redactions"]:
            where = f"{r['path']}:{r['line']}" if r["path"] else f"line {r['line']}"
            lines.append(f"  {r['section']:<9} {where}  {r['kind']}")
    return "\n".join(lines) + "\n"


def _source(entry: dict[str, Any]) -> str:
    path = entry.get("path")
    if not path:
        return str(entry["key"])
    lines = entry.get("lines")
    return f"{path}:{lines[0]}-{lines[1]}" if lines else str(path)


def _note(entry: dict[str, Any]) -> str:
    parts = [entry["mode"]] if entry.get("mode") else []
    if entry.get("shrunk"):
        parts.append("shrunk")
    parts += entry.get("why", [])[:3]
    return ", ".join(parts)


def _row(entry: dict[str, Any], note: str) -> tuple[str, ...]:
    score = f"{entry['score']:.2f}" if entry["score"] else "-"
    return (entry["section"], entry["kind"], _source(entry), f"{entry['tokens']:,}", score, note)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {3, 4}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  " + "  ".join(cells).rstrip()

    return [fmt(header), *(fmt(row) for row in rows)]
