"""Turn a :class:`ContextRequest` into the planner's named sections of items.

Every text that can reach the model is redacted here (:mod:`tandem.core.redact`),
the user's own prompt included; each item keeps its findings in
``meta["redactions"]`` so the manifest reports those of the items actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tandem.core.context.delta import content_hash
from tandem.core.context.file_items import file_items
from tandem.core.context.git_items import git_items
from tandem.core.context.inputs import ContextRequest
from tandem.core.context.items import (
    MESSAGE_TOKENS,
    REDACTIONS,
    REPLY_TOKENS,
    Counts,
    Maker,
    clean,
    offset_lines,
)
from tandem.core.context.planner import Item
from tandem.core.context.render import (
    SECTION_HEADERS,
    prompt_block,
    selection_block,
)
from tandem.core.context.turn_items import history_items

WORKSPACE_SHRINK_TOKENS = 256


@dataclass(frozen=True)
class Built:
    sections: dict[str, list[Item]]
    dropped: list[tuple[str, Item, str]]
    """Left out before planning: (section, item, reason)."""
    headers: dict[str, int]
    reserved: int
    """Framing of the final user message and of the reply."""


def sent_hash(text: str) -> str:
    """The hash a file's content has once sent (it is redacted first)."""
    return content_hash(REDACTIONS.redact(text).text)


def build_sections(
    request: ContextRequest, counter: Counts, visible: Mapping[str, str], system_prompt: str
) -> Built:
    maker = Maker(counter)
    files = file_items(request, maker, visible)
    current = dict(request.current_hashes)
    current.update({item.meta["path"]: item.meta["hash"] for item in files.buffers})
    history, history_dropped = history_items(request, maker, current)
    sections = {
        "system": [_system_item(system_prompt, maker)],
        "workspace": _workspace_items(request.workspace_summary, maker),
        "git": git_items(request.git, maker),
        "code": files.code,
        "buffers": files.buffers,
        "history": history,
        "prompt": _prompt_items(request, maker),
    }
    headers = {name: counter.count(text) for name, text in SECTION_HEADERS.items()}
    return Built(sections, files.dropped + history_dropped, headers, MESSAGE_TOKENS + REPLY_TOKENS)


def _system_item(system_prompt: str, maker: Maker) -> Item:
    return maker.item(
        "system", "system", system_prompt, "system", droppable=False, extra_tokens=MESSAGE_TOKENS
    )


def _workspace_items(summary: str, maker: Maker) -> list[Item]:
    if not summary.strip():
        return []
    cleaned = clean(summary.strip() + "\n", "workspace", None)
    meta: dict[str, Any] = {"redactions": cleaned.redactions}
    item = maker.item("workspace", "workspace", cleaned.text + "\n", "workspace", **meta)
    head = maker.truncated(cleaned.text, WORKSPACE_SHRINK_TOKENS)
    if head is None:
        return [item]
    alternative = maker.item("workspace", "workspace", head + "…\n\n", "workspace", **meta)
    return [maker.smaller(item, alternative)]


def _prompt_items(request: ContextRequest, maker: Maker) -> list[Item]:
    items = []
    selection = request.selection
    if selection is not None:
        cleaned = clean(
            selection.text, "prompt", selection.path, offset_lines(selection.start_line)
        )
        diagnostics = [clean(d, "prompt", selection.path) for d in selection.diagnostics]
        redactions = cleaned.redactions + [r for d in diagnostics for r in d.redactions]
        block = selection_block(
            selection.path,
            selection.start_line,
            selection.end_line,
            cleaned.text,
            [d.text for d in diagnostics],
        )
        items.append(
            maker.item("selection", "selection", block, "prompt", droppable=False,
                       path=selection.path, start_line=selection.start_line,
                       end_line=selection.end_line, redactions=redactions)
        )  # fmt: skip
    cleaned = clean(request.prompt, "prompt", None)
    items.append(
        maker.item("prompt", "prompt", prompt_block(cleaned.text), "prompt", droppable=False,
                   redactions=cleaned.redactions, prompt=cleaned.text)
    )  # fmt: skip
    return items
