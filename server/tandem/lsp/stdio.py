"""The stdio transport, with stdin read on the event loop itself.

pygls 2.1.1's ``start_io`` reads stdin through its thread pool: every message costs
three round trips to a worker thread (the header line, the blank line, the body), and
each one waits for the GIL, which under load the context-assembly and model threads
hold. A keystroke's ``didChange`` then queues behind them three times before it is
even parsed. Here stdin is an asyncio pipe instead: bytes arrive through the loop's
selector and messages are cut from its buffer without leaving the loop.

Stdin that asyncio cannot watch (a regular file, or any stdin on Windows) keeps
pygls's reader, and so does stdin that is the same open file as stdout (a terminal,
or one socket for both): watching it makes it non-blocking, and stdout's blocking
writes would then fail.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
import threading
from typing import TYPE_CHECKING, BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)

LINE_LIMIT = 1 << 20
"""The longest header line kept whole; a longer one is read past as junk."""
_JUNK = b"-\r\n"
"""Stands for an over-long header line: neither a header pygls knows nor the blank line."""


class PipeReader:
    """pygls's ``AsyncReader`` over an asyncio read pipe."""

    def __init__(self, pipe: BinaryIO) -> None:
        self._pipe = pipe
        self._stream: asyncio.StreamReader | None = None
        self._transport: asyncio.ReadTransport | None = None

    async def _opened(self) -> asyncio.StreamReader:
        if self._stream is None:
            stream = asyncio.StreamReader(limit=LINE_LIMIT)
            loop = asyncio.get_running_loop()
            self._transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(stream), self._pipe
            )
            self._stream = stream
        return self._stream

    async def readline(self) -> bytes:
        stream = await self._opened()
        try:
            return await stream.readline()
        except ValueError:  # over LINE_LIMIT: asyncio has dropped what it read of it
            return _JUNK

    async def readexactly(self, n: int) -> bytes:
        stream = await self._opened()
        try:
            return await stream.readexactly(n)
        except asyncio.IncompleteReadError as short:  # end of input: as pygls's read(n)
            return short.partial

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def watchable(stdin: BinaryIO, stdout: BinaryIO) -> bool:
    """Whether ``stdin`` can be an asyncio pipe without touching ``stdout``."""
    if sys.platform == "win32":  # the proactor loop cannot read an inherited pipe handle
        return False
    try:
        here, there = os.fstat(stdin.fileno()), os.fstat(stdout.fileno())
    except (OSError, ValueError):
        return False
    if not (stat.S_ISFIFO(here.st_mode) or stat.S_ISSOCK(here.st_mode)):
        return False
    return (here.st_dev, here.st_ino) != (there.st_dev, there.st_ino)


def start_stdio(server: TandemServer) -> None:
    """What ``server.start_io()`` does, with :class:`PipeReader` where it can be used."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stop = server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))

    async def serve() -> None:
        if not watchable(stdin, stdout):
            log.info("stdin is not a pipe of its own; reading it on a thread")
            await _run(StdinAsyncReader(stdin, server.thread_pool))
            return
        reader = PipeReader(stdin)
        try:
            await _run(reader)
        finally:
            reader.close()

    async def _run(reader: PipeReader | StdinAsyncReader) -> None:
        await run_async(
            stop_event=stop,
            reader=reader,
            protocol=server.protocol,
            logger=logging.getLogger("pygls.io_"),
            error_handler=server.report_server_error,
        )

    try:
        asyncio.run(serve())
    except BrokenPipeError:
        log.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
