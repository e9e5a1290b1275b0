"""Running commands: decode the payload, call the service, map errors, honour cancel.

pygls runs an async command as an inner task under the ``workspace/executeCommand``
request. ``$/cancelRequest`` cancels only the outer request future, so
``link_cancellation`` forwards that cancel to the inner task; and a handler never
lets ``CancelledError`` escape while the request is live (pygls would leave the
request unanswered), it answers instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcRequestCancelled

from tandem.core.errors import Cancelled, InvalidArguments, TandemError
from tandem.lsp.payloads import decode

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)
P = TypeVar("P")
REQUEST_FAILED = -32803


def link_cancellation(ls: TandemServer) -> None:
    """Cancel the running task when the client cancels the request it serves."""
    msg_id = ls.protocol.msg_id
    outer = ls.protocol._request_futures.get(msg_id) if msg_id is not None else None
    task = asyncio.current_task()
    if outer is None or task is None:
        return

    def forward(future: Any) -> None:
        if future.cancelled() and not task.done():
            task.cancel()

    outer.add_done_callback(forward)


def to_rpc_error(error: TandemError) -> JsonRpcException:
    data = {"kind": type(error).__name__}
    if isinstance(error, InvalidArguments):
        return JsonRpcInvalidParams(str(error), data=data)
    if isinstance(error, Cancelled):
        return JsonRpcRequestCancelled(str(error), data=data)
    return JsonRpcException(str(error), code=REQUEST_FAILED, data=data)


def register(
    ls: TandemServer,
    name: str,
    payload: type[P],
    fn: Callable[[TandemServer, P], Awaitable[Any]],
) -> None:
    async def handler(*args: Any) -> Any:
        link_cancellation(ls)
        try:
            return await fn(ls, decode(payload, name, args))
        except TandemError as error:
            raise to_rpc_error(error) from error
        except asyncio.CancelledError:
            raise JsonRpcRequestCancelled(f"{name} was cancelled") from None

    handler.__name__ = name
    ls.command(name)(handler)
