"""The model client in a process of its own.

The ``openai`` client does real Python work for every request and every streamed
piece: it transforms and JSON-encodes the request (a few hundred kilobytes, about 2 ms
each), parses each SSE line and builds a pydantic object per piece. In the server's
process all of it holds the GIL that the editor's event loop needs for every keystroke;
with ten answers streaming it was the largest holder. :class:`ModelProcess` keeps
:class:`~tandem.core.model.client.ModelClient`'s interface and runs the client in a
child (``python -m tandem.core.model.child``), so the server only moves text.

The wire is the child's stdin and stdout, in frames (:mod:`tandem.core.pipes`). To
the child: its settings first, then ``("call", id, method, args)``, ``("cancel", id)``. From it:
``("delta", id, text)`` per streamed piece, in order, then ``("result", id, value)``
or ``("error", id, exception)``. Cancelling the caller sends ``cancel`` (the child
cancels the call, which closes its HTTP stream) and lets ``CancelledError`` propagate.
If the child dies, the calls in flight fail with a :class:`~tandem.core.errors.ModelError`
that says so, and the next call starts a new child.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from tandem.core.errors import ModelError
from tandem.core.model.endpoint import Configured
from tandem.core.pipes import frame, read_frame, spawn, stop
from tandem.core.settings import ModelSettings

log = logging.getLogger(__name__)


@dataclass
class _Call:
    future: asyncio.Future[Any]
    on_delta: Any = None


class ModelProcess(Configured):
    """One endpoint, as configured by ``model.*``, served by a child process."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self._child: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._starting = asyncio.Lock()
        self._closed = False

    async def stream_chat(self, messages: list[dict[str, Any]], on_delta: Any) -> Any:
        return await self._call("stream_chat", (messages,), on_delta)

    async def complete(self, messages: list[dict[str, Any]]) -> Any:
        return await self._call("complete", (messages,))

    async def list_models(self) -> list[str]:
        result: list[str] = await self._call("list_models", ())
        return result

    async def embed(self, texts: list[str], model: str) -> list[list[float]]:
        result: list[list[float]] = await self._call("embed", (texts, model))
        return result

    async def close(self) -> None:
        """Stop the child; calls still in flight see ``CancelledError``."""
        self._closed = True
        child, self._child = self._child, None
        for call in self._calls.values():
            call.future.cancel()
        self._calls.clear()
        if child is None:
            return
        await stop(child)
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # -- internals ---------------------------------------------------------------

    async def _call(self, method: str, args: tuple[Any, ...], on_delta: Any = None) -> Any:
        child = await self._ensure_child()
        assert child.stdin is not None
        call_id = next(self._ids)
        call = _Call(asyncio.get_running_loop().create_future(), on_delta)
        self._calls[call_id] = call
        try:
            child.stdin.write(frame(("call", call_id, method, args)))
            await child.stdin.drain()
            return await call.future
        except asyncio.CancelledError:
            if call_id in self._calls and not child.stdin.is_closing():
                child.stdin.write(frame(("cancel", call_id)))
            raise
        except (ConnectionError, RuntimeError) as error:
            raise ModelError(_stopped(child, error)) from error
        finally:
            self._calls.pop(call_id, None)

    async def _ensure_child(self) -> asyncio.subprocess.Process:
        async with self._starting:
            if self._closed:
                raise asyncio.CancelledError  # replaced by a client of new settings
            if self._child is None or self._child.returncode is not None:
                self._child = await _spawn(self.settings)
                self._reader = asyncio.create_task(self._read(self._child))
            return self._child

    async def _read(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        while (message := await read_frame(child.stdout)) is not None:
            kind, call_id, *rest = message
            call = self._calls.get(call_id)
            if call is None or call.future.done():
                continue  # a call cancelled here before the child saw it
            if kind == "delta":
                pending = call.on_delta(rest[0])
                if inspect.isawaitable(pending):
                    await pending
            elif kind == "result":
                call.future.set_result(rest[0])
            elif kind == "error":
                call.future.set_exception(rest[0])
        await child.wait()
        if not self._closed:
            log.warning("the model process stopped (exit code %s)", child.returncode)
        for call in list(self._calls.values()):
            if not call.future.done():
                call.future.set_exception(ModelError(_stopped(child)))


def _stopped(child: asyncio.subprocess.Process, error: BaseException | None = None) -> str:
    how = f"exit code {child.returncode}" if child.returncode is not None else str(error)
    return (
        f"Tandem's model process stopped ({how}); the answer was cut short. "
        "The next request starts it again; the server log may say why."
    )


async def _spawn(settings: ModelSettings) -> asyncio.subprocess.Process:
    child = await spawn("tandem.core.model.child")
    assert child.stdin is not None
    child.stdin.write(frame(("settings", settings)))
    return child
