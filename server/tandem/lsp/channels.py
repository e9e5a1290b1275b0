"""One connection's JSON-RPC messages as bytes, before pygls reads it.

A :class:`TcpChannel` reads base-protocol frames (``Content-Length`` headers, then the
body) and stops exactly at a frame's end, so pygls can read the rest of the stream.
A :class:`WsChannel` carries one message per WebSocket message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)

MAX_UNADMITTED_BYTES = 1 << 20
"""The largest message read from a connection that is not yet admitted."""


class Channel(Protocol):
    peer: str

    async def receive(self) -> bytes | None:
        """The next message body, or ``None`` when the connection is over."""

    async def send(self, message: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class TcpChannel:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.peer = peer_name(writer.get_extra_info("peername"))

    async def receive(self) -> bytes | None:
        try:
            length = await self._content_length()
            if length is None:
                return None
            return await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as error:
            # ValueError: a header line longer than the stream's limit.
            log.info("dropped %s: %s", self.peer, type(error).__name__)
            return None

    async def _content_length(self) -> int | None:
        length: int | None = None
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n"):
            if not line:
                return None
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value)
        if length is None or length > MAX_UNADMITTED_BYTES:
            log.warning("dropped %s: missing or oversized Content-Length", self.peer)
            return None
        return length

    async def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        try:
            await self.writer.drain()
        except ConnectionError:
            log.info("%s went away before its answer", self.peer)

    async def close(self) -> None:
        # The transport sends what is buffered before it closes; not waiting for that
        # keeps the close free of awaits, so a task stopping the server cannot be cut
        # short here.
        self.writer.close()


class WsChannel:
    def __init__(self, websocket: ServerConnection) -> None:
        self.websocket = websocket
        self.peer = peer_name(websocket.remote_address)

    async def receive(self) -> bytes | None:
        try:
            return await self.websocket.recv(decode=False)
        except ConnectionClosed:
            return None

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self.websocket.send(json.dumps(message))
        except ConnectionClosed:
            log.info("%s went away before its answer", self.peer)

    async def close(self) -> None:
        await self.websocket.close(code=1008, reason="refused")


def peer_name(address: Any) -> str:
    """``host:port`` (``[host]:port`` for IPv6) of a socket address."""
    if not address:
        return "an unknown peer"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
