"""The Redis history store: the same model as SQLite, one atomic Lua script per write.

Message numbers come from ``INCR`` inside the append script, so concurrent writers
never collide. Appends are idempotent by message id (generated here before the first
attempt), which makes redis-py's retry after a dropped connection safe: a repeated
append returns the stored message instead of adding a second one. Failures raise
``StoreUnavailable`` (cannot reach the server) or ``StoreError``; nothing is dropped
silently.

Durability is the server's: run Redis with AOF (``appendonly yes``) to keep history
across a Redis restart. Search is a scan of the workspace's messages: a Lua script
keeps the candidates (plain case-insensitive substring test), Python applies the
exact rule of ``matching``; linear in the history's size, fine for personal use.
Key layout: ``redis_scripts``. Needs a standalone Redis (not a sharded Cluster).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import redis

from tandem.core.errors import (
    InvalidArguments,
    NotFound,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
)
from tandem.core.history import export, matching, redis_codec, redis_scripts, validate
from tandem.core.history.models import (
    ContextRecord,
    Message,
    SearchHit,
    Session,
    Summary,
    Workspace,
    new_id,
    now,
    remote_key,
    workspace_id,
)

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
DEFAULT_PREFIX = "tandem:"
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _guarded(
    method: Callable[Concatenate[RedisStore, _P], _R],
) -> Callable[Concatenate[RedisStore, _P], _R]:
    """Turn redis-py's exceptions into Tandem's named store errors."""

    @functools.wraps(method)
    def wrapper(self: RedisStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self._closed:
            raise StoreError(f"history store {self.location} is closed")
        try:
            return method(self, *args, **kwargs)
        except redis.exceptions.ResponseError as error:
            raise self._response_error(error) from error
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            raise StoreUnavailable(f"cannot reach Redis at {self.location}: {error}") from error
        except redis.exceptions.RedisError as error:
            raise StoreError(f"history store {self.location} failed: {error}") from error

    return wrapper


class RedisStore:
    backend = "redis"

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX, timeout: float = 5.0) -> None:
        self.location = redis_codec.redact(url)
        self.prefix = prefix
        self._closed = False
        # redis-py's annotations differ between releases (sync/async unions): the
        # client is handled as Any and every result is converted where it is read.
        self._client: Any = redis_codec.connect(url, self.location, timeout)
        self._scripts = {
            name: self._client.register_script(getattr(redis_scripts, name))
            for name in redis_scripts.NAMES
        }
        try:
            self._check_server()
        except BaseException:
            self._client.close()
            raise

    @_guarded
    def _check_server(self) -> None:
        self._client.ping()
        stored = self._client.get(self._key("schema"))
        if stored is None:
            self._client.set(self._key("schema"), SCHEMA_VERSION, nx=True)
        elif not str(stored).isdigit():
            raise StoreError(f"history store {self.location}: bad schema marker {stored!r}")
        elif int(stored) > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"history store {self.location} (prefix {self.prefix!r}) was written by a "
                f"newer Tandem (schema {stored}); it was left untouched: upgrade Tandem"
            )
        self._warn_if_volatile()

    def _warn_if_volatile(self) -> None:
        try:
            config = self._client.config_get("appendonly") | self._client.config_get("save")
        except redis.exceptions.ResponseError:
            return  # CONFIG is disabled on many managed servers
        if config.get("appendonly") == "no" and not config.get("save"):
            log.warning(
                "Redis at %s persists nothing: a Redis restart loses history", self.location
            )

    def close(self) -> None:
        self._closed = True
        self._client.close()

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _run(self, script: str, keys: Sequence[str], args: Sequence[object], about: str) -> Any:
        """Run a script; ``about`` is the id its "not found" error refers to."""
        try:
            return self._scripts[script](keys=list(keys), args=[self.prefix, *args])
        except redis.exceptions.ResponseError as error:
            raise self._response_error(error, about) from error

    def _response_error(
        self, error: redis.exceptions.ResponseError, about: str | None = None
    ) -> Exception:
        text = str(error)
        if redis_scripts.NOT_FOUND in text:
            reason = redis_codec.reason(text, redis_scripts.NOT_FOUND)
            return NotFound(reason if about is None else f"{reason} {about!r}")
        if redis_scripts.INVALID in text:
            return InvalidArguments(redis_codec.reason(text, redis_scripts.INVALID))
        return StoreError(f"history store {self.location} failed: {text}")

    # -- workspaces -------------------------------------------------------------

    @_guarded
    def ensure_workspace(self, folder: Path | str, remote: str | None = None) -> Workspace:
        if not isinstance(folder, (str, Path)):
            raise InvalidArguments("folder must be a path")
        path = str(Path(folder).resolve())
        remote = (validate.optional_text(remote, "remote") or "").strip() or None
        ws_id = workspace_id(path)
        key = remote_key(remote) if remote else ""
        raw = self._run(
            "ENSURE_WORKSPACE",
            [self._key("ws", ws_id), self._key("workspaces")],
            [ws_id, path, now(), remote or "", key],
            ws_id,
        )
        return redis_codec.workspace(redis_codec.pairs(raw))

    @_guarded
    def get_workspace(self, workspace_id: str) -> Workspace:
        return redis_codec.workspace(self._workspace_hash(workspace_id))

    @_guarded
    def list_workspaces(self) -> list[Workspace]:
        return self._workspaces(self._client.smembers(self._key("workspaces")))

    @_guarded
    def find_workspaces_by_remote(self, remote: str) -> list[Workspace]:
        key = remote_key(validate.text(remote, "remote"))
        return self._workspaces(self._client.smembers(self._key("remote", key)))

    def _workspaces(self, ids: set[str]) -> list[Workspace]:
        hashes = self._hashes([self._key("ws", ws_id) for ws_id in ids])
        return sorted((redis_codec.workspace(h) for h in hashes if h), key=lambda ws: ws.path)

    def _workspace_hash(self, ws_id: str) -> dict[str, str]:
        ws_id = validate.known_id(ws_id, "workspace")
        found: dict[str, str] = self._client.hgetall(self._key("ws", ws_id))
        if not found:
            raise NotFound(f"unknown workspace {ws_id!r}")
        return found

    def _hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return list(pipe.execute())

    # -- sessions ---------------------------------------------------------------

    @_guarded
    def create_session(self, workspace_id: str, title: str = "") -> Session:
        title = validate.text(title, "title")
        ws_id = validate.known_id(workspace_id, "workspace")
        stamp = now()
        session = Session(new_id(), ws_id, title, stamp, stamp, False)
        fields = redis_codec.session_fields(session)
        self._run(
            "CREATE_SESSION",
            [
                self._key("ws", ws_id),
                self._key("ws", ws_id, "sessions"),
                self._key("session", session.id),
            ],
            [session.id, *fields],
            ws_id,
        )
        return session

    @_guarded
    def get_session(self, session_id: str) -> Session:
        return redis_codec.session(self._session_hash(session_id))

    @_guarded
    def list_sessions(self, workspace_id: str, include_archived: bool = False) -> list[Session]:
        validate.flag(include_archived, "include_archived")
        sessions = self._sessions_of(workspace_id)
        live = [s for s in sessions if include_archived or not s.archived]
        live.sort(key=lambda s: s.id)
        live.sort(key=lambda s: (s.updated, s.created), reverse=True)
        return live

    def _sessions_of(self, ws_id: str) -> list[Session]:
        self._workspace_hash(ws_id)
        ids = self._client.smembers(self._key("ws", ws_id, "sessions"))
        hashes = self._hashes([self._key("session", sid) for sid in ids])
        return [redis_codec.session(h) for h in hashes if h]

    @_guarded
    def rename_session(self, session_id: str, title: str) -> Session:
        title = validate.text(title, "title")
        session_id = validate.known_id(session_id, "session")
        raw = self._run(
            "SET_IF_EXISTS",
            [self._key("session", session_id)],
            ["session", "title", title, "updated", now()],
            session_id,
        )
        return redis_codec.session(redis_codec.pairs(raw))

    @_guarded
    def set_active_session(self, workspace_id: str, session_id: str) -> None:
        self._workspace_hash(workspace_id)
        session = redis_codec.session(self._session_hash(session_id))
        validate.activatable(session, workspace_id)
        self._client.hset(self._key("ws", workspace_id), "active", session_id)

    @_guarded
    def get_active_session(self, workspace_id: str) -> Session | None:
        active = self._workspace_hash(workspace_id).get("active")
        if not active:
            return None
        found = self._client.hgetall(self._key("session", active))
        session = redis_codec.session(found) if found else None
        return session if session is not None and not session.archived else None

    def _session_hash(self, session_id: str) -> dict[str, str]:
        session_id = validate.known_id(session_id, "session")
        found: dict[str, str] = self._client.hgetall(self._key("session", session_id))
        if not found:
            raise NotFound(f"unknown session {session_id!r}")
        return found

    # -- messages ---------------------------------------------------------------

    @_guarded
    def append_message(
        self,
        session_id: str,
        role: str,
        content: str,
        status: str = "complete",
        *,
        model: str | None = None,
        usage: dict[str, Any] | None = None,
        turn_id: str | None = None,
        error: str | None = None,
        message_id: str | None = None,
    ) -> Message:
        session_id = validate.known_id(session_id, "session")
        mid = new_id() if message_id is None else validate.new_id(message_id, "message")
        stamp = now()
        fields = {
            "id": mid,
            "session_id": session_id,
            "role": validate.role(role),
            "content": validate.text(content, "content"),
            "created": stamp,
            "status": validate.status(status),
            "model": validate.optional_text(model, "model"),
            "usage": validate.optional_json_object(usage, "usage"),
            "turn_id": validate.optional_text(turn_id, "turn_id"),
            "error": validate.optional_text(error, "error"),
        }
        session = self._key("session", session_id)
        raw = self._run(
            "APPEND_MESSAGE",
            [session, session + ":seq", session + ":messages", self._key("msg", mid)],
            [mid, session_id, stamp, *redis_codec.flatten(fields)],
            session_id,
        )
        return redis_codec.message(redis_codec.pairs(raw))

    @_guarded
    def update_message(
        self,
        message_id: str,
        *,
        content: str | None = None,
        status: str | None = None,
        usage: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Message:
        message_id = validate.known_id(message_id, "message")
        fields = {
            "content": None if content is None else validate.text(content, "content"),
            "status": None if status is None else validate.status(status),
            "usage": validate.optional_json_object(usage, "usage"),
            "error": validate.optional_text(error, "error"),
        }
        raw = self._run(
            "UPDATE_MESSAGE",
            [self._key("msg", message_id)],
            [now(), *redis_codec.flatten(fields)],
            message_id,
        )
        return redis_codec.message(redis_codec.pairs(raw))

    @_guarded
    def get_message(self, message_id: str) -> Message:
        return redis_codec.message(self._message_hash(message_id))

    def _message_hash(self, message_id: str) -> dict[str, str]:
        message_id = validate.known_id(message_id, "message")
        found: dict[str, str] = self._client.hgetall(self._key("msg", message_id))
        if not found:
            raise NotFound(f"unknown message {message_id!r}")
        return found

    @_guarded
    def messages(self, session_id: str, after_seq: int = 0) -> list[Message]:
        validate.count(after_seq, "after_seq", 0)
        session_id = validate.known_id(session_id, "session")
        session = self._key("session", session_id)
        raw = self._run("MESSAGES", [session, session + ":messages"], [after_seq], session_id)
        return [redis_codec.message(redis_codec.pairs(item)) for item in raw if item]

    # -- what was sent ------------------------------------------------------------

    @_guarded
    def put_snapshot(self, digest: str, text: str) -> None:
        digest = validate.digest(digest)
        self._client.set(self._key("snap", digest), validate.text(text, "snapshot text"), nx=True)

    @_guarded
    def get_snapshot(self, digest: str) -> str | None:
        found = self._client.get(self._key("snap", validate.digest(digest)))
        return None if found is None else str(found)

    @_guarded
    def record_context(
        self, message_id: str, manifest: dict[str, Any], snapshots: dict[str, str]
    ) -> None:
        message_id = validate.known_id(message_id, "message")
        manifest_json = validate.json_object(manifest, "manifest")
        files = validate.snapshot_map(snapshots)
        keys = [self._key("msg", message_id), self._key("ctx", message_id)]
        keys.append(self._key("ctx", message_id, "files"))
        self._run(
            "RECORD_CONTEXT", keys, [manifest_json, now(), *redis_codec.flatten(files)], message_id
        )

    @_guarded
    def get_context(self, message_id: str) -> ContextRecord | None:
        self._message_hash(message_id)
        record = self._hashes([self._key("ctx", message_id), self._key("ctx", message_id, "files")])
        if not record[0]:
            return None
        manifest = validate.load_json_object(record[0].get("manifest")) or {}
        return ContextRecord(
            message_id, manifest, dict(sorted(record[1].items())), record[0]["created"]
        )

    @_guarded
    def last_sent_snapshots(self, session_id: str) -> dict[str, str]:
        self._session_hash(session_id)
        ids = self._client.zrange(self._key("session", session_id, "contexts"), 0, -1)
        sent: dict[str, str] = {}
        for files in self._hashes([self._key("ctx", mid, "files") for mid in ids]):
            sent.update(files)  # ascending seq: the latest message wins
        return sent

    @_guarded
    def set_summary(self, session_id: str, up_to_seq: int, text: str) -> None:
        validate.count(up_to_seq, "up_to_seq", 0)
        text = validate.text(text, "summary")
        session = self._key("session", validate.known_id(session_id, "session"))
        self._run(
            "SET_SUMMARY",
            [session, session + ":seq", session + ":summary"],
            [up_to_seq, text, now()],
            session_id,
        )

    @_guarded
    def get_summary(self, session_id: str) -> Summary | None:
        self._session_hash(session_id)
        found = self._client.hgetall(self._key("session", session_id, "summary"))
        return Summary(int(found["up_to_seq"]), found["text"]) if found else None

    # -- reset ------------------------------------------------------------------

    @_guarded
    def archive_workspace(self, workspace_id: str) -> int:
        keys = self._workspace_keys(workspace_id)
        return int(self._run("ARCHIVE_WORKSPACE", keys, [], workspace_id))

    @_guarded
    def delete_workspace(self, workspace_id: str) -> int:
        keys = self._workspace_keys(workspace_id)
        return int(self._run("DELETE_WORKSPACE", keys, [], workspace_id))

    def _workspace_keys(self, ws_id: str) -> list[str]:
        ws_id = validate.known_id(ws_id, "workspace")
        return [self._key("ws", ws_id), self._key("ws", ws_id, "sessions")]

    # -- reading it back --------------------------------------------------------

    @_guarded
    def search(
        self, workspace_id: str, query: str, limit: int = 50, include_archived: bool = True
    ) -> list[SearchHit]:
        terms = matching.query_terms(query)
        validate.count(limit, "limit", 1)
        validate.flag(include_archived, "include_archived")
        sessions = [
            s for s in self._sessions_of(workspace_id) if include_archived or not s.archived
        ]
        found = [
            m for m in self._candidates(sessions, terms) if matching.matches(m["content"], terms)
        ]
        found.sort(key=lambda m: (m["created"], int(m["seq"])), reverse=True)
        return [redis_codec.hit(message, terms) for message in found[:limit]]

    def _candidates(self, sessions: list[Session], terms: list[str]) -> list[dict[str, str]]:
        """Messages of the sessions that may match (filtered inside Redis)."""
        ids = [session.id for session in sessions]
        raw = self._run("SEARCH_CANDIDATES", [], [len(ids), *ids, *terms], "")
        return [redis_codec.pairs(item) for item in raw]

    @_guarded
    def export_session(self, session_id: str, fmt: str) -> str:
        fmt = validate.export_format(fmt)
        session = self.get_session(session_id)
        return export.render(session, self.messages(session_id), fmt)
