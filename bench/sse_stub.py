"""A lean streaming Chat Completions server for load benchmarks.

The test suite's stub (``tests.support.model_stub``) records every request body, which
is right for tests and wrong for a minute of ten concurrent sessions: each request
carries the whole assembled context, and a few thousand of them would hold gigabytes.
This one keeps only counts. Every chat request gets the same answer, streamed as SSE
``data:`` events: ``--chunks`` pieces ``--delay`` seconds apart, a finish event, a usage
event when ``stream_options.include_usage`` asks for it, then ``data: [DONE]``.

Run as a process, so its work does not share a GIL with the client being measured::

    python bench/sse_stub.py --chunks 50 --delay 0.005

It prints its base URL (``http://127.0.0.1:PORT/v1``) as the first line on stdout.
``GET /_stats`` answers ``{"chat": requests, "bytes": total, "maxBytes": largest,
"streams": in_progress}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from tests.support import model_stub_wire as wire  # noqa: E402

MODEL = "stub-model"


@dataclass
class Stats:
    chat: int = 0
    bytes: int = 0
    max_bytes: int = 0
    streams: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "chat": self.chat,
            "bytes": self.bytes,
            "maxBytes": self.max_bytes,
            "streams": self.streams,
        }


class Stub:
    def __init__(self, chunks: int, delay: float) -> None:
        self.pieces = [f"word{n} " for n in range(chunks)]
        self.delay = delay
        self.stats = Stats()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: requests one after another (HTTP/1.1 keep-alive)."""
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while (request := await read_request(reader)) is not None:
                await self.answer(writer, *request)
        writer.close()

    async def answer(
        self, writer: asyncio.StreamWriter, method: str, path: str, raw: bytes
    ) -> None:
        if path.endswith("/chat/completions") and method == "POST":
            return await self.chat(writer, raw)
        if path.endswith("/models"):
            return await send_json(writer, 200, wire.models_body([MODEL]))
        if path == "/_stats":
            return await send_json(writer, 200, self.stats.to_json())
        await send_json(writer, 404, wire.error_body(404, f"no such endpoint: {path}"))

    async def chat(self, writer: asyncio.StreamWriter, raw: bytes) -> None:
        self.stats.chat += 1
        self.stats.bytes += len(raw)
        self.stats.max_bytes = max(self.stats.max_bytes, len(raw))
        body = json.loads(raw)
        text = "".join(self.pieces)
        counts = {"prompt_tokens": len(raw) // 4, "completion_tokens": len(self.pieces)}
        counts["total_tokens"] = counts["prompt_tokens"] + counts["completion_tokens"]
        if not body.get("stream"):
            return await send_json(writer, 200, wire.completion(MODEL, text, "stop", counts))
        self.stats.streams += 1
        try:
            await self.stream(writer, body, counts)
        finally:
            self.stats.streams -= 1

    async def stream(
        self, writer: asyncio.StreamWriter, body: dict[str, Any], counts: dict[str, int]
    ) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        writer.write(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
        for index, piece in enumerate(self.pieces):
            await asyncio.sleep(self.delay)
            await send_event(writer, wire.delta_chunk(MODEL, piece, first=index == 0))
        await send_event(writer, wire.finish_chunk(MODEL, "stop"))
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            await send_event(writer, wire.usage_chunk(MODEL, counts))
        await send_chunk(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    """(method, path, body) of the next request; None when the client closed."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    length = int({k.strip().lower(): v for k, v in headers.items()}.get("content-length", 0))
    body = await reader.readexactly(length) if length else b""
    return method, path.split("?", 1)[0], body


async def send_json(writer: asyncio.StreamWriter, status: int, payload: Any) -> None:
    data = json.dumps(payload).encode()
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
    writer.write(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
    await writer.drain()


async def send_event(writer: asyncio.StreamWriter, payload: dict[str, Any]) -> None:
    await send_chunk(writer, f"data: {json.dumps(payload)}\n\n".encode())


async def send_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def run(chunks: int, delay: float, port: int) -> None:
    stub = Stub(chunks, delay)
    server = await asyncio.start_server(stub.serve, "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"http://127.0.0.1:{bound}/v1\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=50, help="pieces per answer")
    parser.add_argument("--delay", type=float, default=0.005, help="seconds before each piece")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.chunks, args.delay, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
