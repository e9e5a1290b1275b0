"""One chat turn: store the question, assemble context, stream the answer, record it.

The order is what makes history trustworthy: the user's message is committed before
the model is called, and with it the assistant's, as ``partial``, whose text is saved
as it arrives, so a crash leaves a ``partial`` turn and never a lost one (a turn that
fails before the model is called ends its reply as ``error``, saying why, or as
``cancelled``); the record of what was sent (file snapshots, the request) is written
while the model starts to answer and is complete before the end state (``complete``,
``cancelled``, ``error``), which is written last. Turns in one session run one at a
time; sessions run side by side.

A store that fails (disk full, locked, read-only, unreachable) ends the turn with
status ``error`` and a message saying why, never a crash. An end state that could
not be written is kept in memory and written before the session's next turn, so an
answer the user saw streamed is not lost once the store works again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from tandem.core.context.assemble import Assembled
from tandem.core.context.manifest import summary as manifest_summary
from tandem.core.context.sent import REQUEST_KEY
from tandem.core.context.service import ContextService, Focus, request_hash
from tandem.core.errors import ModelError, NotFound, StoreError
from tandem.core.history.models import Message
from tandem.core.history.store import HistoryStore

if TYPE_CHECKING:
    from tandem.core.model import ModelClient

log = logging.getLogger(__name__)
SAVE_EVERY = 0.2
"""Seconds between saves of a streaming answer's text (each save is one transaction)."""
ASSEMBLING_AT_ONCE = 1
"""Turns that assemble their context at the same time, across all sessions.

Assembly is CPU-bound Python (token counts, redaction, rendering) run in worker
threads. Side by side, N turns are N threads taking turns at the GIL with the event
loop, and every keystroke waits behind all of them: under ten sessions an edit took
seconds to handle. One at a time, the loop competes with one such thread at most;
the streaming, which is I/O, stays concurrent."""


@dataclass
class TurnResult:
    session_id: str
    turn_id: str
    text: str
    status: str
    usage: dict[str, int] | None
    manifest: dict[str, Any]
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sessionId": self.session_id,
            "turnId": self.turn_id,
            "text": self.text,
            "status": self.status,
            "usage": self.usage,
            "manifest": self.manifest,
            "error": self.error,
        }


@dataclass
class Turn:
    """A running turn: what the user can cancel."""

    turn_id: str
    session_id: str
    task: asyncio.Task[Any] | None = None
    text: list[str] = field(default_factory=list)


class ChatService:
    def __init__(
        self,
        store: Callable[[], HistoryStore],
        context: ContextService,
        model: Callable[[], ModelClient],
        notifier: Any,
    ) -> None:
        self._store = store
        self._context = context
        self._model = model
        self._notifier = notifier
        self._locks: dict[str, asyncio.Lock] = {}
        self._assembling = asyncio.Semaphore(ASSEMBLING_AT_ONCE)
        self.running: dict[str, Turn] = {}
        self.unsaved: dict[str, dict[str, dict[str, Any]]] = {}
        """Per session: ``{message_id: fields}`` of end states the store refused."""

    def cancel(self, turn_id: str | None = None, session_id: str | None = None) -> bool:
        cancelled = False
        for turn in list(self.running.values()):
            matches = turn_id in (None, turn.turn_id) and session_id in (None, turn.session_id)
            if matches and turn.task is not None and not turn.task.done():
                turn.task.cancel()
                cancelled = True
        return cancelled

    async def chat(self, prompt: str, session_id: str, focus: Focus) -> TurnResult:
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            turn = Turn(uuid.uuid4().hex, session_id, asyncio.current_task())
            self.running[turn.turn_id] = turn
            try:
                if self.unsaved.get(session_id):
                    await asyncio.to_thread(self._save_unsaved, session_id)
                return await self._run(turn, prompt, focus)
            except StoreError as error:
                return self._store_failed(turn, error)
            finally:
                self.running.pop(turn.turn_id, None)

    def _save_unsaved(self, session_id: str) -> None:
        """Write the end states an earlier failure kept back (before anything newer)."""
        pending = self.unsaved.get(session_id, {})
        for message_id, fields in list(pending.items()):
            try:
                self._store().update_message(message_id, **fields)
                log.info("saved the end of message %s after a store failure", message_id)
            except NotFound:
                log.info("message %s was deleted before its end could be saved", message_id)
            del pending[message_id]
        self.unsaved.pop(session_id, None)

    async def _finish(self, turn: Turn, reply: Message, **fields: Any) -> None:
        """Write a reply's end state; if the store refuses, keep it for the next turn."""
        try:
            await asyncio.to_thread(self._store().update_message, reply.id, **fields)
        except StoreError:
            self.unsaved.setdefault(turn.session_id, {})[reply.id] = fields
            raise

    def _store_failed(self, turn: Turn, error: StoreError) -> TurnResult:
        message = str(error)
        log.warning("chat turn %s: %s", turn.turn_id, message)
        self._status(turn, "error", message=message)
        self._notifier.show_message("error", f"Tandem: {message}")
        text = "".join(turn.text)
        return TurnResult(turn.session_id, turn.turn_id, text, "error", None, {}, message)

    async def _run(self, turn: Turn, prompt: str, focus: Focus) -> TurnResult:
        store = self._store()
        started = time.perf_counter()
        self._status(turn, "started", prompt=prompt)
        model = self._model()
        # The turn's messages are stored while the context is assembled (which leaves
        # this turn out), and always before the model is called; a store failure ends
        # the turn even when assembling failed too.
        opening = asyncio.ensure_future(
            asyncio.to_thread(self._open, store, turn, prompt, model.model_name)
        )
        try:
            async with self._assembling:
                assembled = await self._context.assemble(
                    prompt, turn.session_id, focus, exclude_turn=turn.turn_id
                )
        except BaseException as error:
            await asyncio.wait([opening])
            reply = opening.result()
            await self._unanswered(turn, reply, error)
            raise
        reply = await opening
        log.info(
            "turn %s: messages stored and context of %d tokens assembled in %.1f ms",
            turn.turn_id, assembled.total_tokens, (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        manifest = manifest_summary(assembled.manifest)
        # What was sent is written while the model starts answering: a few commits
        # (snapshots, the request) that the first byte need not wait for.
        recorded = asyncio.ensure_future(
            asyncio.to_thread(self._record_context, store, reply, assembled)
        )
        try:
            return await self._stream(turn, reply, assembled.messages, manifest, model, recorded)
        finally:  # no write outlives the turn, even one that ended on a store error
            await asyncio.wait([recorded])
            if not recorded.cancelled():
                recorded.exception()  # seen: a failure was reported or superseded

    @staticmethod
    def _open(store: HistoryStore, turn: Turn, prompt: str, model_name: str | None) -> Message:
        """The question, then the reply to come (``partial``, empty); returns the reply."""
        store.append_message(turn.session_id, "user", prompt, "complete", turn_id=turn.turn_id)
        return store.append_message(
            turn.session_id, "assistant", "", "partial", model=model_name, turn_id=turn.turn_id
        )

    async def _unanswered(self, turn: Turn, reply: Message, error: BaseException) -> None:
        """End the reply of a turn that failed before the model was called; the
        failure itself goes on to the caller, even if this cannot be written."""
        cancelled = isinstance(error, asyncio.CancelledError)
        fields: dict[str, Any] = {"status": "cancelled" if cancelled else "error"}
        if not cancelled:
            fields["error"] = str(error) or type(error).__name__
        try:
            await asyncio.shield(self._finish(turn, reply, **fields))
        except StoreError:
            log.warning("turn %s: its failed reply's end is kept for the next turn", turn.turn_id)

    def _record_context(self, store: HistoryStore, reply: Message, assembled: Assembled) -> None:
        """What was sent: file snapshots, and the request itself, each stored once."""
        hashes = {}
        for path, (digest, text) in assembled.snapshots.items():
            store.put_snapshot(digest, text)
            hashes[path] = digest
        digest, text = request_hash(assembled)
        store.put_snapshot(digest, text)
        store.record_context(reply.id, {**assembled.manifest, REQUEST_KEY: digest}, hashes)

    async def _stream(
        self,
        turn: Turn,
        reply: Message,
        messages: list[dict[str, str]],
        manifest: dict[str, Any],
        model: ModelClient,
        recorded: asyncio.Future[None],
    ) -> TurnResult:
        store = self._store()
        saver = _Saver(store, reply.id)
        outgoing = _Outgoing(partial(self._notifier.chat_delta, turn.turn_id, turn.session_id))

        def on_delta(delta: str) -> None:
            if not turn.text:
                self._status(turn, "streaming")
            turn.text.append(delta)
            outgoing.add(delta)
            saver.maybe_save(turn.text)

        try:
            try:
                result = await model.stream_chat(messages, on_delta)
            finally:
                outgoing.flush()
        except asyncio.CancelledError:
            _uncancel()
            await saver.settle()
            await self._recorded(recorded)
            text = "".join(turn.text)
            await self._finish(turn, reply, content=text, status="cancelled")
            self._status(turn, "cancelled")
            return TurnResult(turn.session_id, turn.turn_id, text, "cancelled", None, manifest)
        except ModelError as error:
            await saver.settle()
            await self._recorded(recorded)
            text = getattr(error, "partial_text", None) or "".join(turn.text)
            await self._finish(turn, reply, content=text, status="error", error=str(error))
            self._status(turn, "error", message=str(error))
            self._notifier.show_message("error", f"Tandem: {error}")
            return TurnResult(
                turn.session_id, turn.turn_id, text, "error", None, manifest, str(error)
            )
        await saver.settle()
        await self._recorded(recorded)
        usage = _usage(result.usage)
        await self._finish(turn, reply, content=result.text, status="complete", usage=usage)
        self._status(turn, "complete")
        return TurnResult(turn.session_id, turn.turn_id, result.text, "complete", usage, manifest)

    async def _recorded(self, recorded: asyncio.Future[None]) -> None:
        """Wait for the record of what was sent. Without it the next turn sends the
        files whole again instead of as unchanged or as a diff: nothing is lost, so a
        failure is a warning, not the turn's end."""
        try:
            await recorded
        except StoreError as error:
            self._notifier.show_message(
                "warning", f"Tandem: what this turn sent could not be recorded ({error})"
            )

    def _status(self, turn: Turn, status: str, **extra: Any) -> None:
        self._notifier.chat_status(turn.turn_id, turn.session_id, status, **extra)


class _Saver:
    """Saves a streaming answer's text at most every ``SAVE_EVERY`` seconds."""

    def __init__(self, store: HistoryStore, message_id: str) -> None:
        self.store = store
        self.message_id = message_id
        self.last = time.monotonic()
        self.pending: asyncio.Task[Any] | None = None

    def maybe_save(self, parts: list[str]) -> None:
        now = time.monotonic()
        if now - self.last < SAVE_EVERY or (self.pending and not self.pending.done()):
            return
        self.last = now
        text = "".join(parts)
        self.pending = asyncio.get_running_loop().create_task(
            asyncio.to_thread(self.store.update_message, self.message_id, content=text)
        )

    async def settle(self) -> None:
        """Wait for a save in flight, so it cannot land after the final one."""
        if self.pending is not None:
            await asyncio.gather(self.pending, return_exceptions=True)


class _Outgoing:
    """Pieces of an answer on their way to the editor, one notification per pass of
    the event loop: pieces that arrive together (a busy loop reads several at once)
    go out joined, and none waits for a later one."""

    def __init__(self, send: Callable[[str], None]) -> None:
        self._send = send
        self._parts: list[str] = []

    def add(self, delta: str) -> None:
        if not self._parts:
            asyncio.get_running_loop().call_soon(self.flush)
        self._parts.append(delta)

    def flush(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts.clear()
            self._send(text)


def _uncancel() -> None:
    """The cancel is handled here: let the task go on to record the partial answer."""
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):
        task.uncancel()


def _usage(raw: dict[str, Any] | None) -> dict[str, int] | None:
    if not raw:
        return None
    return {
        "promptTokens": int(raw.get("prompt_tokens", 0) or 0),
        "completionTokens": int(raw.get("completion_tokens", 0) or 0),
        "totalTokens": int(raw.get("total_tokens", 0) or 0),
    }
