"""Terminal text for ``tandem history``: pure functions over sessions, messages and hits.

Ids are shown shortened to ``SHORT_ID`` characters; ``match_session`` accepts any
unambiguous prefix back. With ``color=True`` search matches are shown in bold (ANSI)
instead of between ``**``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from tandem.core.errors import InvalidArguments, NotFound
from tandem.core.history.models import MARK_END, MARK_START, Message, SearchHit, Session

SHORT_ID = 8
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def short_time(stamp: str) -> str:
    """``2025-01-31T09:15:02.123456Z`` as ``2025-01-31 09:15``."""
    return stamp[:16].replace("T", " ")


def format_sessions(sessions: Sequence[Session], active_id: str | None = None) -> str:
    """One line per session: active marker, short id, last update, title."""
    if not sessions:
        return "No sessions yet.\n"
    lines = []
    for session in sessions:
        mark = "*" if session.id == active_id else " "
        title = session.title or "(untitled)"
        if session.archived:
            title += "  [archived]"
        lines.append(f"{mark} {session.id[:SHORT_ID]}  {short_time(session.updated)}  {title}")
    return "\n".join(lines) + "\n"


def format_transcript(session: Session, messages: Sequence[Message], width: int = 100) -> str:
    """A session as a readable transcript, each message under a one-line header."""
    header = f"{session.title or '(untitled)'}  [{session.id}]"
    lines = [header, "=" * min(len(header), width)]
    for message in messages:
        lines += ["", _message_header(message)]
        lines += [_indent(message.content, width)] if message.content else []
        if message.error:
            lines.append(f"    ! {message.error}")
    return "\n".join(lines) + "\n"


def _message_header(message: Message) -> str:
    parts = [f"#{message.seq}", message.role]
    if message.model:
        parts.append(f"({message.model})")
    parts.append(short_time(message.created))
    if message.status != "complete":
        parts.append(f"[{message.status}]")
    return " ".join(parts)


def _indent(text: str, width: int) -> str:
    wrapped = []
    for line in text.splitlines() or [""]:
        wrapped += textwrap.wrap(line, width - 4, replace_whitespace=False) or [""]
    return textwrap.indent("\n".join(wrapped), "    ", lambda _: True)


def format_hits(hits: Sequence[SearchHit], color: bool = False) -> str:
    """One line per hit: short session id, seq, role, time, snippet."""
    if not hits:
        return "No matches.\n"
    lines = []
    for hit in hits:
        snippet = _bold(hit.snippet) if color else hit.snippet
        where = f"{hit.session_id[:SHORT_ID]} #{hit.seq} {hit.role}"
        lines.append(f"{where}  {short_time(hit.created)}  {snippet}")
    return "\n".join(lines) + "\n"


def _bold(snippet: str) -> str:
    parts = snippet.replace(MARK_END, MARK_START).split(MARK_START)
    return "".join(
        f"{_BOLD}{part}{_RESET}" if index % 2 else part for index, part in enumerate(parts)
    )


def match_session(sessions: Sequence[Session], text: str) -> Session:
    """The one session whose id starts with ``text`` (as shown by ``format_sessions``)."""
    text = text.strip().lower()
    if not text:
        raise InvalidArguments("give a session id (or its first characters)")
    found = [session for session in sessions if session.id.startswith(text)]
    if not found:
        raise NotFound(f"no session id starts with {text!r}")
    if len(found) > 1:
        raise InvalidArguments(f"{text!r} matches {len(found)} sessions; give more characters")
    return found[0]
