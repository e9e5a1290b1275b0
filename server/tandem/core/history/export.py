"""A session as Markdown or JSON text: pure functions over a session and its messages."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tandem.core.history import validate
from tandem.core.history.models import Message, Session

EXPORT_VERSION = 1
_ROLE_TITLES = {"system": "System", "user": "User", "assistant": "Assistant"}


def render(session: Session, messages: Sequence[Message], fmt: str) -> str:
    """``fmt`` is ``"markdown"`` or ``"json"``; anything else is ``InvalidArguments``."""
    if validate.export_format(fmt) == "json":
        return to_json(session, messages)
    return to_markdown(session, messages)


def to_json(session: Session, messages: Sequence[Message]) -> str:
    document = {
        "format": "tandem-session",
        "version": EXPORT_VERSION,
        "session": session.to_json(),
        "messages": [message.to_json() for message in messages],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_markdown(session: Session, messages: Sequence[Message]) -> str:
    lines = [f"# {session.title or 'Untitled session'}", "", _session_line(session)]
    for message in messages:
        lines += ["", "---", "", _heading(message), "", message.content.rstrip("\n")]
        if message.error:
            lines += ["", f"> Error: {message.error}"]
    return "\n".join(lines) + "\n"


def _session_line(session: Session) -> str:
    parts = [f"Session `{session.id}`", f"created {session.created}"]
    parts.append(f"updated {session.updated}")
    if session.archived:
        parts.append("archived")
    return " · ".join(parts)


def _heading(message: Message) -> str:
    title = _ROLE_TITLES[message.role]
    if message.model:
        title += f" ({message.model})"
    parts = [f"### {message.seq}. {title}", message.created]
    if message.status != "complete":
        parts.append(f"_{message.status}_")
    return " · ".join(parts)
