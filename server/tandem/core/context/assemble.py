"""Assemble the chat messages of one request: a pure function of its inputs.

Layout (stable from turn to turn, so a provider's prompt cache can reuse the prefix):

1. one ``system`` message: the system prompt, then a summary of older turns and a note
   of how many earlier messages are left out, when that applies;
2. the history: user/assistant exchanges, oldest first;
3. one final ``user`` message: the context sections (workspace, git, code, open
   buffers), each labelled with paths and line numbers, then the selection with its
   diagnostics, and the prompt last.

Which items go in is the planner's choice (:mod:`.planner`) over items built by
:mod:`.sections`. The final messages are counted again as sent (each message's
framing included); should joining blocks ever count more than the plan's sum, the plan
is redone with that much less budget, so the budget always holds.

A file the model can already see is only referred to, or sent as a diff
(:mod:`.delta`), and only while the history turn that carries it is part of this
request; otherwise it is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tandem.core.context import manifest as manifests
from tandem.core.context.inputs import (
    BufferView,
    CodeCandidate,
    ContextRequest,
    FileDiffText,
    GitContext,
    HistoryTurn,
    Selection,
)
from tandem.core.context.items import MESSAGE_TOKENS, REPLY_TOKENS, Counts
from tandem.core.context.planner import Budget, Item, Plan, plan
from tandem.core.context.render import SECTION_HEADERS, omitted_note
from tandem.core.context.sections import Built, build_sections
from tandem.core.errors import ContextError

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "Assembled",
    "Budget",
    "BufferView",
    "CodeCandidate",
    "ContextRequest",
    "FileDiffText",
    "GitContext",
    "HistoryTurn",
    "Selection",
    "assemble",
    "carried",
    "carried_snapshots",
    "count_messages",
    "render_messages",
    "shown_files",
]

DEFAULT_SYSTEM_PROMPT = """\
You are Tandem, a coding assistant working inside the user's editor.

Each request ends with the user's message, preceded by context gathered from their \
workspace for it: a workspace summary, uncommitted git changes, relevant code, open \
files (which may hold unsaved edits) and the current selection with its diagnostics. \
Every excerpt is labelled with its path and line numbers (`src/app.py:10-42`). A file \
you were shown earlier in this conversation may appear only as a diff against that \
version, or be named as unchanged. Secrets have been replaced by [REDACTED:<kind>]; \
never guess them.

The context is a selection and may be incomplete: when something you need is missing, \
say what and where it probably is instead of guessing. Be concise and precise. Refer \
to code by path and line. When you change code, show only what changes, as small code \
blocks or unified diffs against the text you were given, in the project's own style."""

CONTEXT_SECTIONS = ("workspace", "git", "code", "buffers")
FIT_ROUNDS = 4


@dataclass(frozen=True)
class Assembled:
    messages: list[dict[str, str]]
    manifest: dict[str, Any]
    snapshots: dict[str, tuple[str, str]]
    """Path -> (hash, text) of whole files this request sent, whole or as a diff."""
    total_tokens: int
    budget: int
    diff_bases: dict[str, str]
    """Path -> hash of the version each file sent as a diff was diffed against."""

    def to_json(self) -> dict[str, Any]:
        """What ``tandem.previewContext`` and ``tandem context --json`` return."""
        return {
            "messages": self.messages,
            "manifest": self.manifest,
            "totalTokens": self.total_tokens,
            "budget": self.budget,
        }


def assemble(
    request: ContextRequest, budget: Budget, counter: Counts, system_prompt: str | None = None
) -> Assembled:
    """The messages for ``request`` within ``budget`` (raises ``ContextError`` if none fit)."""
    available = _available(budget)
    system = system_prompt or DEFAULT_SYSTEM_PROMPT
    visible = carried_snapshots(request)
    built = build_sections(request, counter, visible, system)
    slack = 0
    for _ in range(FIT_ROUNDS + len(visible)):
        chosen = plan(
            built.sections, available - slack, headers=built.headers, reserved=built.reserved
        )
        unseen = _unseen(chosen, visible)
        if unseen:
            visible = {path: h for path, h in visible.items() if path not in unseen}
            built = build_sections(request, counter, visible, system)
            continue
        messages = render_messages(chosen, _omitted(chosen, built))
        total = count_messages(messages, counter)
        if total <= available:
            return _assembled(chosen, built, messages, total, available, counter.encoding_name)
        slack += total - available
    raise ContextError(
        "The request could not be fitted into its token budget; raise context.marginTokens."
    )


def _available(budget: Budget) -> int:
    available = budget.available
    if available <= 0:
        raise ContextError(
            f"No tokens are left for the request: model.contextWindow ({budget.context_window}) "
            f"minus model.maxOutputTokens ({budget.max_output}) and context.marginTokens "
            f"({budget.margin}) leaves {available}. Lower model.maxOutputTokens or raise "
            "model.contextWindow."
        )
    return available


def carried_snapshots(request: ContextRequest) -> dict[str, str]:
    """Files the model may already see: latest sent, and carried by a history turn."""
    return carried(request.history, request.sent_snapshots)


def carried(history: Sequence[HistoryTurn], sent: Mapping[str, str]) -> dict[str, str]:
    """:func:`carried_snapshots` of a request's ``history`` and ``sent_snapshots``."""
    out: dict[str, str] = {}
    for turn in history:
        if not turn.carries_files:
            continue
        for path, digest in turn.file_hashes.items():
            if sent.get(path) == digest:
                out[path] = digest
    return out


def _unseen(chosen: Plan, visible: Mapping[str, str]) -> set[str]:
    """Paths referred to as seen that the history kept in ``chosen`` does not show."""
    shown = shown_files(chosen.sections["history"])
    return {
        item.meta["path"]
        for name in ("code", "buffers")
        for item in chosen.sections[name]
        if item.meta.get("mode") in ("unchanged", "diff")
        and shown.get(item.meta["path"]) != visible.get(item.meta["path"])
    }


def shown_files(history: list[Item]) -> dict[str, str]:
    """Path -> hash of each file the kept history shows, replayed oldest first.

    A turn that sent a file whole shows it; one that sent a diff shows it only if the
    diff's base is shown by then. A shortened turn shows nothing.
    """
    shown: dict[str, str] = {}
    for item in sorted(history, key=_seq):
        if item.kind != "turn" or item.meta.get("shrunk"):
            continue
        for path, (digest, base) in item.meta.get("carries", {}).items():
            if base is None or shown.get(path) == base:
                shown[path] = digest
            else:
                shown.pop(path, None)
    return shown


def _seq(item: Item) -> int:
    return int(item.meta.get("seq", -1))


def _omitted(chosen: Plan, built: Built) -> int:
    """How many earlier messages this request leaves out."""
    dropped = [item for item, _ in chosen.dropped] + [item for _, item, _ in built.dropped]
    return sum(len(item.meta.get("messages", ())) for item in dropped if item.kind == "turn")


def render_messages(chosen: Plan, omitted: int = 0) -> list[dict[str, str]]:
    sections = chosen.sections
    system = "".join(item.text for item in sections["system"])
    system += "".join(item.text for item in sections["history"] if item.kind != "turn")
    if omitted:
        system += omitted_note(omitted)
    messages = [{"role": "system", "content": system}]
    for item in sorted((i for i in sections["history"] if i.kind == "turn"), key=_seq):
        messages += [{"role": role, "content": text} for role, text in item.meta["messages"]]
    messages.append({"role": "user", "content": _final_user_message(sections)})
    return _merge_same_role(messages)


def _final_user_message(sections: Mapping[str, list[Item]]) -> str:
    context = "".join(
        SECTION_HEADERS[name] + "".join(item.text for item in sections[name])
        for name in CONTEXT_SECTIONS
        if sections[name]
    )
    selection = "".join(item.text for item in sections["prompt"] if item.kind == "selection")
    prompt = next(item for item in sections["prompt"] if item.kind == "prompt")
    if not context and not selection:
        return str(prompt.meta["prompt"])
    return context + selection + prompt.text


def _merge_same_role(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Join consecutive messages of one role (a turn left unanswered, then this one)."""
    merged: list[dict[str, str]] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {
                **merged[-1],
                "content": merged[-1]["content"] + "\n\n" + message["content"],
            }
        else:
            merged.append(dict(message))
    return merged


def count_messages(messages: list[dict[str, str]], counter: Counts) -> int:
    """Tokens of ``messages`` as a chat request: contents, framing, reply priming."""
    return sum(counter.count(m["content"]) + MESSAGE_TOKENS for m in messages) + REPLY_TOKENS


def _assembled(
    chosen: Plan,
    built: Built,
    messages: list[dict[str, str]],
    total: int,
    available: int,
    encoding: str,
) -> Assembled:
    included = [item for section in chosen.sections.values() for item in section]
    redactions = [r for item in included for r in item.meta.get("redactions", ())]
    snapshots = {
        item.meta["path"]: item.meta["snapshot"]
        for item in included
        if "snapshot" in item.meta and not item.meta.get("shrunk")
    }
    bases = {
        item.meta["path"]: item.meta["base"]
        for item in included
        if "base" in item.meta and not item.meta.get("shrunk")
    }
    manifest = manifests.build(chosen, encoding, redactions, built.dropped, total_tokens=total)
    manifest["messages"] = len(messages)
    return Assembled(messages, manifest, snapshots, total, available, bases)
