"""TCP and WebSocket listeners that check each connection before the server sees it.

pygls 2.1.1's ``start_tcp`` / ``start_ws`` hand every connection to the one shared
protocol: a second connection takes over its writer (the first client's answers and
notifications go to the newcomer), and any connection that ends shuts the server down.
Here each connection first passes its own :class:`~tandem.lsp.auth.Gate`, which reads
and answers its messages itself; the protocol never sees a message the gate has not
admitted. The first connection admitted becomes the server's client (one client, as
over stdio); a later one is refused, and a connection that ends before it is admitted
leaves the server running. When the client's connection ends the server stops, as it
does with pygls.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal

from pygls.exceptions import JsonRpcException
from pygls.io_ import WebSocketWriter, run_async, run_websocket
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from tandem.lsp.auth import AUTH_FAILED, Gate, bearer_token, error_reply, token_matches
from tandem.lsp.channels import Channel, TcpChannel, WsChannel, peer_name

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)
pygls_log = logging.getLogger("pygls.io_")

AUTH_SECONDS = 30.0
"""How long a connection has to authenticate before it is closed."""
MAX_WAITING = 32
"""Connections that may wait to authenticate at once; more are closed at once."""
CLOSE_SECONDS = 2.0
"""How long closing connections may take when the server stops."""


class Listener:
    """Accepts connections for one server and serves at most one of them."""

    def __init__(self, ls: TandemServer, token: str | None) -> None:
        self.ls = ls
        self.token = token
        self.client: str | None = None
        """The peer being served, once one is admitted."""
        self.stop = threading.Event()
        self.exit_code = 0
        self._waiting: dict[Channel, asyncio.Task[Any]] = {}
        """Connections not yet admitted, with the task that reads each."""

    async def tcp(self, host: str, port: int) -> None:
        await self._serve_forever(await asyncio.start_server(self._tcp_connection, host, port))

    async def ws(self, host: str, port: int) -> None:
        server = await serve(
            self._ws_connection,
            host,
            port,
            process_request=self._upgrade,
            close_timeout=CLOSE_SECONDS,
        )
        await self._serve_forever(server)

    async def _serve_forever(self, server: Any) -> None:
        # pygls's ``ls.shutdown()`` sets this event and closes this server.
        self.ls._stop_event = self.stop
        self.ls._server = server
        addresses = ", ".join(peer_name(s.getsockname()) for s in server.sockets)
        needs = "a token is required" if self.token else "no token"
        log.info("listening on %s (%s)", addresses, needs)
        async with server:
            await server.serve_forever()

    async def _tcp_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        channel = TcpChannel(reader, writer)
        protocol = self.ls.protocol

        def attach() -> None:
            protocol.set_writer(writer)

        async def read_rest() -> None:
            await run_async(self.stop, reader, protocol, pygls_log, self.ls.report_server_error)

        try:
            await self._connection(channel, Gate(self.token), attach, read_rest)
        finally:
            await channel.close()

    def _upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse an upgrade whose ``Authorization`` header carries a wrong token."""
        if self.token is None or "Authorization" not in request.headers:
            return None
        if self._bearer_ok(request.headers):
            return None
        peer = peer_name(connection.remote_address)
        log.warning("refused a WebSocket upgrade from %s: wrong bearer token", peer)
        return connection.respond(HTTPStatus.UNAUTHORIZED, "authentication failed\n")

    def _bearer_ok(self, headers: Headers) -> bool:
        token = bearer_token(headers.get("Authorization"))
        return self.token is not None and token_matches(self.token, token)

    async def _ws_connection(self, websocket: ServerConnection) -> None:
        request = websocket.request
        gate = Gate(self.token, request is not None and self._bearer_ok(request.headers))
        protocol = self.ls.protocol

        def attach() -> None:
            protocol.set_writer(WebSocketWriter(websocket), include_headers=False)

        async def read_rest() -> None:
            await run_websocket(
                websocket, self.stop, protocol, pygls_log, self.ls.report_server_error
            )

        await self._connection(WsChannel(websocket), gate, attach, read_rest)

    async def _connection(
        self,
        channel: Channel,
        gate: Gate,
        attach: Callable[[], None],
        read_rest: Callable[[], Awaitable[None]],
    ) -> None:
        """Admit and serve the connection, or refuse it; the end of the served
        connection stops the server."""
        if len(self._waiting) >= MAX_WAITING:
            log.warning("refused %s: %d connections already waiting", channel.peer, MAX_WAITING)
            return
        task = asyncio.current_task()
        assert task is not None
        self._waiting[channel] = task
        try:
            first = await self._admit(channel, gate)
        finally:
            self._waiting.pop(channel, None)
        if first is None or not await self._claim(channel, first[1]):
            return
        log.info("serving %s", channel.peer)
        attach()
        self._deliver(first[0])
        try:
            await read_rest()
        except SystemExit as exiting:  # pygls's ``exit`` handler, over TCP
            self.exit_code = exiting.code if isinstance(exiting.code, int) else 1
        except ConnectionError as error:
            log.warning("lost %s: %s", channel.peer, error)
        await self._stop_serving(channel)

    async def _stop_serving(self, served: Channel) -> None:
        """Stop Tandem's work, close every connection and let its task end, then stop
        the server. (A task left running is cancelled when the loop ends, and Python
        3.11 logs a cancelled connection task as an error.)"""
        if not self.ls.protocol._shutdown:  # the client left without ``shutdown``
            await self.ls.tandem.shutdown()
        waiting = dict(self._waiting)
        await asyncio.gather(*(channel.close() for channel in (served, *waiting)))
        if waiting:
            await asyncio.wait(waiting.values(), timeout=CLOSE_SECONDS)
        self.ls.shutdown()  # type: ignore[no-untyped-call]

    async def _admit(self, channel: Channel, gate: Gate) -> tuple[bytes, Any] | None:
        """Read until the gate admits a message (returned with its decoded JSON), or
        the connection is refused, ends or runs out of time (``None``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + AUTH_SECONDS
        while True:
            try:
                body = await asyncio.wait_for(channel.receive(), deadline - loop.time())
            except asyncio.TimeoutError:
                log.warning(
                    "refused %s: no authentication within %.0f s", channel.peer, AUTH_SECONDS
                )
                return None
            if body is None:
                return None
            message = _decode(body)
            verdict = gate.check(message)
            if verdict.admit:
                return body, message
            _log_refusal(channel.peer, verdict.reason, verdict.close)
            if verdict.reply is not None:
                await channel.send(verdict.reply)
            if verdict.close:
                return None

    async def _claim(self, channel: Channel, message: Any) -> bool:
        """Make this connection the server's client, unless another one already is."""
        if self.client is None:
            self.client = channel.peer
            return True
        log.warning("refused %s: already serving %s", channel.peer, self.client)
        if isinstance(message, dict) and "id" in message:
            text = "Tandem is already serving another client on this address"
            await channel.send(error_reply(message["id"], AUTH_FAILED, text))
        return False

    def _deliver(self, body: bytes) -> None:
        """Hand the admitted message to the protocol, as pygls's own reader would."""
        protocol = self.ls.protocol
        try:
            protocol.handle_message(json.loads(body, object_hook=protocol.structure_message))
        except JsonRpcException as error:
            log.error("cannot handle the first message of %s: %s", self.client, error)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _log_refusal(peer: str, reason: str, closing: bool) -> None:
    if closing:
        log.warning("refused %s: %s; closing the connection", peer, reason)
    else:
        log.info("refused from %s: %s", peer, reason)


def serve_network(
    ls: TandemServer, transport: Literal["tcp", "ws"], host: str, port: int, token: str | None
) -> int:
    """Listen until the served client's connection ends (blocks); the exit code."""
    listener = Listener(ls, token)
    main = listener.tcp(host, port) if transport == "tcp" else listener.ws(host, port)
    try:
        asyncio.run(main)
    except asyncio.CancelledError:
        log.debug("listener stopped")
    return listener.exit_code
