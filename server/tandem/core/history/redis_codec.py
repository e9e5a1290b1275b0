"""Between Redis replies and the history model: hashes, flat lists, URLs, the client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from tandem.core.errors import StoreError
from tandem.core.history import matching, validate
from tandem.core.history.models import Message, SearchHit, Session, Workspace


def redact(url: str) -> str:
    """The URL without its user name and password, fit for messages and logs."""
    parts = urlsplit(url)
    if not (parts.username or parts.password) or parts.hostname is None:
        return url
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


def connect(url: str, location: str, timeout: float) -> Any:
    retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3)
    try:
        return redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=retry,
            health_check_interval=30,
        )
    except ValueError as error:
        raise StoreError(
            f"history.redisUrl {location!r} is not a usable Redis URL: {error}"
        ) from error


def reason(text: str, code: str) -> str:
    """The words a script put after its error code (Redis may append script details)."""
    return text.split(code, 1)[1].split("script:")[0].strip()


def flatten(fields: Mapping[str, object]) -> list[object]:
    """``{k: v}`` as ``[k, v, ...]``, leaving out values that are None."""
    return [part for key, value in fields.items() if value is not None for part in (key, value)]


def pairs(raw: Sequence[Any]) -> dict[str, str]:
    """A flat HGETALL reply from a script as a dict."""
    items = [str(item) for item in raw]
    return dict(zip(items[::2], items[1::2], strict=True))


def session_fields(session: Session) -> list[object]:
    return flatten(
        {
            "id": session.id,
            "workspace_id": session.workspace_id,
            "title": session.title,
            "created": session.created,
            "updated": session.updated,
            "archived": "1" if session.archived else "0",
        }
    )


def workspace(found: Mapping[str, str]) -> Workspace:
    return Workspace(found["id"], found["path"], found.get("remote"), found["created"])


def session(found: Mapping[str, str]) -> Session:
    return Session(
        found["id"],
        found["workspace_id"],
        found.get("title", ""),
        found["created"],
        found["updated"],
        found.get("archived") == "1",
    )


def message(found: Mapping[str, str]) -> Message:
    return Message(
        id=found["id"],
        session_id=found["session_id"],
        seq=int(found["seq"]),
        role=validate.role(found["role"]),
        content=found["content"],
        created=found["created"],
        status=validate.status(found["status"]),
        model=found.get("model"),
        usage=validate.load_json_object(found.get("usage")),
        turn_id=found.get("turn_id"),
        error=found.get("error"),
    )


def hit(found: Mapping[str, str], terms: list[str]) -> SearchHit:
    return SearchHit(
        found["session_id"],
        found["id"],
        int(found["seq"]),
        validate.role(found["role"]),
        matching.snippet(found["content"], terms),
        found["created"],
    )
