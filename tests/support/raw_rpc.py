"""Send JSON-RPC messages exactly as given, past the client's typed converters.

pytest-lsp's client turns params into lsprotocol classes before sending, so it cannot
send a malformed ``didOpen`` or a non-list ``arguments``. These helpers write the JSON
as it is and, for a request, wait for its answer on the client's usual response path.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Future
from typing import Any

from pytest_lsp.client import LanguageClient


def notify(client: LanguageClient, method: str, params: Any) -> None:
    client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


async def request(client: LanguageClient, method: str, params: Any, timeout: float) -> Any:
    """The result, or the ``JsonRpcException`` the server answered with (raised).

    Fails with ``TimeoutError`` when the server does not answer within ``timeout``.
    """
    msg_id = f"raw-{uuid.uuid4()}"
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
    client.protocol._send_data(message)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
    finally:
        client.protocol._request_futures.pop(msg_id, None)
