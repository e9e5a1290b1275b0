"""How context reads in a request: section headers, labelled blocks and fences.

Every block ends with a blank line, so blocks concatenate without a separator and
the tokens of a section are the sum of its blocks' tokens.
"""

from __future__ import annotations

import posixpath
import re

from tandem.core.context.delta import Rendered, line_count

SECTION_HEADERS = {
    "workspace": "## Workspace\n\n",
    "git": "## Uncommitted changes (git)\n\n",
    "code": "## Relevant code\n\n",
    "buffers": "## Open files\n\n",
}
PROMPT_HEADER = "## Request\n\n"

_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "jsx", ".ts": "typescript", ".tsx": "tsx", ".rs": "rust",
    ".go": "go", ".java": "java", ".kt": "kotlin", ".c": "c", ".h": "c", ".cc": "cpp",
    ".cpp": "cpp", ".hpp": "cpp", ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".swift": "swift", ".lua": "lua", ".sh": "bash", ".bash": "bash", ".zsh": "zsh",
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".md": "markdown",
    ".rst": "rst", ".html": "html", ".css": "css", ".scss": "scss", ".sql": "sql",
    ".xml": "xml", ".vue": "vue", ".svelte": "svelte", ".ex": "elixir", ".exs": "elixir",
    ".hs": "haskell", ".scala": "scala", ".dart": "dart", ".r": "r", ".jl": "julia",
}  # fmt: skip
_BACKTICKS = re.compile(r"`{3,}")


def language_for(path: str) -> str:
    name = posixpath.basename(path)
    if name == "Dockerfile":
        return "dockerfile"
    if name == "Makefile":
        return "make"
    return _LANGUAGES.get(posixpath.splitext(name)[1].lower(), "")


def fence(text: str, language: str = "") -> str:
    """``text`` in a code fence longer than any backtick run inside it."""
    longest = 0
    if "```" in text:  # a plain search is ten times quicker than the regex on a big buffer
        longest = max(len(run) for run in _BACKTICKS.findall(text))
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{ticks}{language}\n{body}{ticks}\n"


def span_label(path: str, start: int, end: int) -> str:
    return f"{path}:{start}-{end}"


def code_block(path: str, start: int, end: int, text: str, title: str | None = None) -> str:
    suffix = f" ({title})" if title else ""
    return f"### `{span_label(path, start, end)}`{suffix}\n{fence(text, language_for(path))}\n"


def file_block(path: str, rendered: Rendered, notes: list[str]) -> str:
    """A whole file, a diff against what the model saw, or a one-line reference."""
    if rendered.mode == "unchanged":
        return f"- {rendered.text}\n\n"
    if rendered.mode == "diff":
        extra = "".join(f", {note}" for note in notes)
        header = f"### `{path}`: changes since you last saw it{extra}"
        return f"{header}\n{fence(rendered.text, 'diff')}\n"
    lines = line_count(rendered.text)
    label = ", ".join([*notes, f"{lines} lines"])
    header = f"### `{span_label(path, 1, lines)}` (whole file, {label})"
    return f"{header}\n{fence(rendered.text, language_for(path))}\n"


def diff_block(path: str, status: str, diff_text: str, note: str = "") -> str:
    suffix = f", {note}" if note else ""
    return f"### `{path}` ({status}{suffix})\n{fence(diff_text, 'diff')}\n"


def selection_block(path: str, start: int, end: int, text: str, diagnostics: list[str]) -> str:
    out = f"## Selection: `{span_label(path, start, end)}`\n{fence(text, language_for(path))}"
    if diagnostics:
        out += "Diagnostics:\n" + "".join(f"- {d}\n" for d in diagnostics)
    return out + "\n"


def prompt_block(prompt: str) -> str:
    return PROMPT_HEADER + prompt.rstrip("\n") + "\n"


def history_summary_block(summary: str) -> str:
    return f"\n\nSummary of the earlier conversation:\n{summary.strip()}"


def omitted_note(count: int) -> str:
    plural = "message" if count == 1 else "messages"
    return f"\n\n({count} earlier {plural} of this conversation are not shown.)"
