"""Argument checks shared by every backend, so they all refuse the same inputs.

Bad values raise :class:`InvalidArguments`. An id of the wrong shape names nothing
that can exist, so it raises :class:`NotFound` like any other unknown id (and can
never be used to build an unexpected Redis key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tandem.core.errors import InvalidArguments, NotFound
from tandem.core.history.models import ROLES, STATUSES, Role, Session, Status

_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_DIGEST = re.compile(r"^[A-Za-z0-9_.+/=-]{1,256}$")
"""Hex or base64 digests, optionally tagged (``sha256-...``); never ``:`` (Redis keys)."""
EXPORT_FORMATS = ("markdown", "json")


def known_id(value: object, what: str) -> str:
    """An id to look up: not a string is a bad argument, a malformed one is unknown."""
    if not isinstance(value, str):
        raise InvalidArguments(f"{what} id must be a string, got {type(value).__name__}")
    if not _ID.match(value):
        raise NotFound(f"unknown {what} {value!r}")
    return value


def new_id(value: object, what: str) -> str:
    """A caller-chosen id for something new: 1-128 letters, digits, ``_`` or ``-``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidArguments(f"{what} id must be 1-128 letters, digits, '_' or '-'")
    return value


def role(value: object) -> Role:
    if value not in ROLES:
        raise InvalidArguments(f"role must be one of {', '.join(ROLES)}, got {value!r}")
    return value


def status(value: object) -> Status:
    if value not in STATUSES:
        raise InvalidArguments(f"status must be one of {', '.join(STATUSES)}, got {value!r}")
    return value


def text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidArguments(f"{what} must be a string, got {type(value).__name__}")
    return value


def optional_text(value: object, what: str) -> str | None:
    return None if value is None else text(value, what)


def json_object(value: object, what: str) -> str:
    """A dict that JSON can carry, serialised; anything else is a bad argument."""
    if not isinstance(value, dict):
        raise InvalidArguments(f"{what} must be an object, got {type(value).__name__}")
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidArguments(f"{what} cannot be stored as JSON: {error}") from None


def optional_json_object(value: object, what: str) -> str | None:
    return None if value is None else json_object(value, what)


def load_json_object(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    loaded = json.loads(raw)
    return loaded if isinstance(loaded, dict) else None


def snapshot_map(value: object) -> dict[str, str]:
    """``{path: content_hash}``: string paths, well-formed hashes."""
    if not isinstance(value, Mapping):
        raise InvalidArguments(f"snapshots must be a mapping, got {type(value).__name__}")
    for path, hashed in value.items():
        if not isinstance(path, str):
            raise InvalidArguments("snapshots must map path strings to hashes")
        digest(hashed)
    return dict(value)


def digest(value: object) -> str:
    """A content hash: 1-256 letters, digits or ``_ . + / = -``."""
    if not isinstance(value, str) or not _DIGEST.match(value):
        raise InvalidArguments(f"{str(value)[:80]!r} is not a usable snapshot hash")
    return value


def count(value: object, what: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidArguments(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArguments(f"{what} must be true or false, got {value!r}")
    return value


def export_format(value: object) -> str:
    if value not in EXPORT_FORMATS:
        raise InvalidArguments(f"export format must be 'markdown' or 'json', got {value!r}")
    return value


def activatable(session: Session, workspace_id: str) -> None:
    """Only a live session of the workspace itself can be its active one."""
    if session.workspace_id != workspace_id:
        raise InvalidArguments(f"session {session.id!r} belongs to another workspace")
    if session.archived:
        raise InvalidArguments(f"session {session.id!r} is archived")


def summary_seq(up_to_seq: int, last_seq: int) -> None:
    if up_to_seq > last_seq:
        raise InvalidArguments(
            f"up_to_seq {up_to_seq} is past the session's last message ({last_seq})"
        )
