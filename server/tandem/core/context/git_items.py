"""The git section: a summary of uncommitted changes, then one diff per file.

Lock files and generated files (:data:`DEMOTED_NAMES`, :data:`DEMOTED_SUFFIXES`,
:data:`DEMOTED_DIRS`, or ``FileDiffText.demoted``) come after every other file and are
shown as one line of counts: their diffs are long and say little. Other diffs shrink,
when they do not fit, to each hunk's first :data:`HUNK_LINES` lines, then to that line
of counts.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from tandem.core.context.inputs import FileDiffText, GitContext
from tandem.core.context.items import Maker, clean
from tandem.core.context.manifest import Redaction
from tandem.core.context.planner import Item
from tandem.core.context.render import diff_block

SECTION = "git"
HUNK_LINES = 12
SUMMARY_SHRINK_TOKENS = 200

DEMOTED_NAMES = frozenset((
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "bun.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "Cargo.lock",
    "Gemfile.lock", "composer.lock", "go.sum", "flake.lock", "mix.lock", "pubspec.lock",
    "Podfile.lock", "packages.lock.json", "gradle.lockfile", "deno.lock", "Package.resolved",
))  # fmt: skip
DEMOTED_SUFFIXES = (
    ".lock", ".min.js", ".min.css", ".map", ".snap", ".pb.go", "_pb2.py", "_pb2_grpc.py",
    ".g.dart", ".freezed.dart", ".designer.cs", ".generated.ts", ".generated.go",
)  # fmt: skip
DEMOTED_DIRS = ("dist/", "build/", "vendor/", "node_modules/", "__generated__/", "generated/")

_HUNK_HEADER = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def is_demoted(path: str) -> bool:
    """A lock file or generated file, whose diff is sent last and shortest."""
    name = posixpath.basename(path)
    if name in DEMOTED_NAMES or name.endswith(DEMOTED_SUFFIXES):
        return True
    padded = "/" + path
    return any(f"/{folder}" in padded for folder in DEMOTED_DIRS)


def git_items(git: GitContext | None, maker: Maker) -> list[Item]:
    if git is None:
        return []
    items: list[Item] = []
    if git.summary.strip():
        items.append(_summary(git.summary, maker))
    files = sorted(git.files, key=lambda f: f.demoted or is_demoted(f.path))
    items += [_file(f, maker) for f in files]
    return items


def _summary(summary: str, maker: Maker) -> Item:
    cleaned = clean(summary.strip() + "\n", SECTION, None)
    item = maker.item(
        "git_summary", "git:summary", cleaned.text + "\n", SECTION, redactions=cleaned.redactions
    )
    short = maker.truncated(cleaned.text, SUMMARY_SHRINK_TOKENS)
    if short is None:
        return item
    alternative = maker.item(
        "git_summary", item.key, short + "…\n\n", SECTION, redactions=cleaned.redactions
    )
    return maker.smaller(item, alternative)


def _file(diff: FileDiffText, maker: Maker) -> Item:
    hunks = [_clean_hunk(hunk, diff.path) for hunk in diff.hunks]
    text = "".join(h[0] for h in hunks)
    redactions = [r for h in hunks for r in h[1]]
    meta: dict[str, Any] = {"path": diff.path, "why": [f"git: {diff.status}"], "mode": "diff"}
    stat = maker.item(
        "git_diff", f"git:{diff.path}", _stat_line(diff, text), SECTION, **meta, stat=True
    )
    if diff.demoted or is_demoted(diff.path):
        return stat
    block = diff_block(diff.path, diff.status, text)
    full = maker.item("git_diff", stat.key, block, SECTION, **meta, redactions=redactions)
    trimmed_text = "".join(_trim_hunk(h[0]) for h in hunks)
    trimmed = None
    if trimmed_text != text:
        trimmed_block = diff_block(diff.path, diff.status, trimmed_text, "hunks trimmed")
        trimmed = maker.item(
            "git_diff", stat.key, trimmed_block, SECTION, **meta, redactions=redactions
        )
        trimmed = maker.smaller(trimmed, stat)
    return maker.smaller(full, trimmed or stat)


def _clean_hunk(hunk: str, path: str) -> tuple[str, list[Redaction]]:
    body = hunk if hunk.endswith("\n") else hunk + "\n"
    lines = body.splitlines()
    cleaned = clean(body, SECTION, path, lambda n: _file_line(lines, n))
    return cleaned.text, cleaned.redactions


def _file_line(lines: list[str], line: int) -> int:
    """The new-file line of the hunk's ``line`` (1-based, counting the ``@@`` header)."""
    header = _HUNK_HEADER.match(lines[0]) if lines else None
    if header is None:
        return line
    current = int(header.group(1))
    for text in lines[1 : line - 1]:
        if not text.startswith(("-", "\\")):
            current += 1
    return current


def _trim_hunk(hunk: str) -> str:
    lines = hunk.splitlines(keepends=True)
    if len(lines) <= HUNK_LINES + 1:
        return hunk
    hidden = len(lines) - 1 - HUNK_LINES
    return "".join(lines[: HUNK_LINES + 1]) + f"… {hidden} more lines in this hunk\n"


def _stat_line(diff: FileDiffText, text: str) -> str:
    lines = text.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    count = len(diff.hunks)
    plural = "hunk" if count == 1 else "hunks"
    counts = f"{count} {plural}, +{added} -{removed}"
    return f"- `{diff.path}` ({diff.status}): {counts}; diff not shown\n\n"
