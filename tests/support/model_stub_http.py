"""The model stub's HTTP side: a threaded server, one exchange per request.

Streaming replies use chunked transfer encoding, as real servers do, so a socket
closed mid-body is a dropped connection the client can tell from a finished one.
While a reply is in progress (between chunks, or while hanging) the exchange watches
its socket, so a client that hangs up is noticed at once, not at the next write.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.support import model_stub_wire as wire
from tests.support.model_stub_script import (
    Behaviour,
    Hang,
    Malformed,
    Recorded,
    Reply,
    SlowStream,
    Stall,
    Status,
    StreamError,
    Truncate,
    behaviour_from_json,
    route_of,
)

if TYPE_CHECKING:
    from tests.support.model_stub import ModelStub

POLL = 0.05
"""Seconds between checks of the stop flag while waiting on a socket."""


class ClientGone(Exception):
    """The client closed the connection while a reply was in progress."""


class Stopping(Exception):
    """The stub is shutting down; abandon the reply."""


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], stub: ModelStub) -> None:
        super().__init__(address, _Handler)
        self.stub = stub
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections, so clients see the stub is gone."""
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StubServer
    started: float | None = None
    """``time.monotonic()`` when the current request's first line arrived."""

    def parse_request(self) -> bool:
        self.started = time.monotonic()
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded requests instead."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        exchange = _Exchange(self, self.server.stub, self._read_body())
        try:
            exchange.run()
        except ClientGone:
            self.server.stub.client_left()
            self.close_connection = True
        except Stopping:
            self.close_connection = True

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")


class _Exchange:
    """One request and its reply, as scripted."""

    def __init__(self, handler: _Handler, stub: ModelStub, body: Any) -> None:
        self.handler = handler
        self.stub = stub
        self.body = body if isinstance(body, dict) else {}
        self.raw_body = body
        self.path = urlsplit(handler.path).path
        self.model = str(self.body.get("model") or stub.model)
        self.recorded: Recorded | None = None

    def run(self) -> None:
        if self.path.startswith("/_stub/"):
            return self._control()
        headers = {k.lower(): v for k, v in self.handler.headers.items()}
        self.recorded = self.stub.record(
            self.handler.command, self.handler.path, headers, self.raw_body, self.handler.started
        )
        route = route_of(self.path)
        if route is None:
            return self._status(Status(404, message=f"no such endpoint: {self.path}"))
        if self.stub.api_key and headers.get("authorization") != f"Bearer {self.stub.api_key}":
            return self._status(Status(401))
        if route == "chat" and self.stub.reject_stream_options and "stream_options" in self.body:
            message = "Unrecognized request argument supplied: stream_options"
            return self._status(Status(400, message=message))
        return self._play(route, self.stub.next_behaviour(route))

    def _play(self, route: str, behaviour: Behaviour | None) -> None:
        if isinstance(behaviour, Status):
            return self._status(behaviour)
        if isinstance(behaviour, Hang):
            self._pause(behaviour.seconds)
            behaviour = None
        if route == "models":
            return self._json(200, wire.models_body(self.stub.models))
        if route == "embeddings":
            return self._json(200, wire.embeddings_body(self.body))
        return self._chat(behaviour)

    # -- chat -------------------------------------------------------------------

    def _chat(self, behaviour: Behaviour | None) -> None:
        if isinstance(behaviour, SlowStream):
            behaviour = Reply(behaviour.chunks, delay_per_chunk=behaviour.delay)
        if behaviour is None:
            behaviour = Reply(delay_per_chunk=self.stub.chunk_delay)
        if not self.body.get("stream"):
            return self._chat_json(behaviour)
        self._start_stream()
        return self._stream(behaviour)

    def _stream(self, behaviour: Behaviour) -> None:
        if isinstance(behaviour, Reply):
            chunks = self._chunks(behaviour)
            self._send_chunks(chunks, behaviour.delay_per_chunk)
            return self._finish(behaviour, "".join(chunks))
        if isinstance(behaviour, Malformed):
            self._send_chunks(behaviour.chunks)
            self._write_chunk(b'data: {"choices": [{"delta": {"content": "x"\n\n')
            return self._done()
        if isinstance(behaviour, StreamError):
            self._send_chunks(behaviour.chunks)
            self._event(wire.error_body(500, behaviour.message))
            return self._done()
        if isinstance(behaviour, Truncate):
            return self._truncate(behaviour)
        if isinstance(behaviour, Stall):
            self._send_chunks(behaviour.chunks)
            self._pause(behaviour.seconds)
            return self._finish(Reply(), "".join(behaviour.chunks))
        raise TypeError(f"cannot play {behaviour!r} on a chat stream")

    def _chunks(self, reply: Reply) -> list[str]:
        return list(reply.chunks) if reply.chunks is not None else wire.echo_chunks(self.body)

    def _chat_json(self, behaviour: Behaviour) -> None:
        """A whole answer; stream-shaped behaviours answer with their pieces joined."""
        if isinstance(behaviour, Malformed):
            return self._raw(200, b'{"id": "chatcmpl-stub", "choices": [')
        if isinstance(behaviour, Stall):
            self._pause(behaviour.seconds)
        if not isinstance(behaviour, Reply):
            behaviour = Reply(getattr(behaviour, "chunks", []))
        reply = behaviour
        text = "".join(self._chunks(reply))
        usage = reply.usage or wire.usage(self.body, text)
        self._json(200, wire.completion(self.model, text, reply.finish_reason, usage))

    def _send_chunks(self, chunks: Any, delay: float = 0.0) -> None:
        for index, text in enumerate(chunks):
            if delay:
                self._pause(delay)
            data = _sse(wire.delta_chunk(self.model, text, first=index == 0))
            if self.recorded is not None:
                self.recorded.chunks_sent.append(time.monotonic())
            self._write_chunk(data)

    def _finish(self, reply: Reply, text: str) -> None:
        self._event(wire.finish_chunk(self.model, reply.finish_reason))
        options = self.body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            usage = reply.usage or wire.usage(self.body, text)
            self._event(wire.usage_chunk(self.model, usage))
        self._done()

    def _done(self) -> None:
        self._write_chunk(b"data: [DONE]\n\n")
        self._write(b"0\r\n\r\n")

    def _truncate(self, truncate: Truncate) -> None:
        self._send_chunks(list(truncate.chunks)[: truncate.after_chunks])
        if truncate.graceful:
            self._write(b"0\r\n\r\n")
            return
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)

    # -- control (standalone use) -----------------------------------------------

    def _control(self) -> None:
        if self.path == "/_stub/script" and self.handler.command == "POST":
            items = self.body.get("behaviours", [])
            behaviours = [behaviour_from_json(item) for item in items]
            self.stub.script(*behaviours, route=str(self.body.get("route", "chat")))
            return self._json(200, {"queued": len(behaviours)})
        if self.path == "/_stub/requests":
            requests = [
                {"method": r.method, "path": r.path, "body": r.body} for r in self.stub.requests
            ]
            return self._json(200, {"requests": requests})
        return self._json(404, wire.error_body(404, f"no such control: {self.path}"))

    # -- writing ----------------------------------------------------------------

    def _status(self, status: Status) -> None:
        headers = {}
        if status.retry_after is not None:
            headers["Retry-After"] = f"{status.retry_after:g}"
        self._json(status.code, wire.error_body(status.code, status.message), headers)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(payload).encode(), headers)

    def _raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        handler = self.handler
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        self._write(data)

    def _start_stream(self) -> None:
        handler = self.handler
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(_sse(payload))

    def _write_chunk(self, data: bytes) -> None:
        self._write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

    def _write(self, data: bytes) -> None:
        if self._peer_closed(wait=0.0):
            raise ClientGone
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ClientGone from error

    # -- waiting ----------------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        """Wait, but notice at once a client that hangs up, and a stub that stops."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.stub.stopping.is_set():
                raise Stopping
            if self._peer_closed(wait=min(left, POLL)):
                raise ClientGone

    def _peer_closed(self, wait: float) -> bool:
        sock = self.handler.connection
        readable, _, _ = select.select([sock], [], [], wait)
        if not readable:
            return False
        try:
            pending = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        if pending:  # the client sent more; not a hang-up, but do not spin on it
            time.sleep(wait)
        return not pending


def _sse(payload: dict[str, Any]) -> bytes:
    """One server-sent event carrying ``payload``."""
    return f"data: {json.dumps(payload)}\n\n".encode()
