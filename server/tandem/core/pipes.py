"""Child processes of the server that talk in frames over their stdin and stdout.

The context worker and the model process are started as ``python -m MODULE`` and
speak the same wire: a 4-byte big-endian length, then a pickle. The child's first act
is to move its stdout to a descriptor of its own and point fd 1 at stderr, so nothing
it prints can corrupt a frame; it logs where the server logs, runs at a lower CPU
priority than the server (:mod:`tandem.core.priority`), and leaves when its input
ends, which is also what happens when the server dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

from tandem.core.priority import yield_to_the_editor

HEADER = struct.Struct(">I")
Frame = tuple[Any, ...]
SUPPORTED = sys.platform != "win32"
"""Where the server runs its work in children (Windows keeps it in-process)."""
STOP_SECONDS = 5.0
"""How long a closing child may take to leave before it is killed."""
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def frame(message: Frame) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> Frame | None:
    """The next message, or None at the end of the stream."""
    try:
        size = HEADER.unpack(await reader.readexactly(HEADER.size))[0]
        message: Frame = pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None
    return message


def read_frame_from(stream: BinaryIO) -> Frame | None:
    """:func:`read_frame`, blocking, from a file (a child that answers one call at a time)."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    message: Frame = pickle.loads(stream.read(HEADER.unpack(header)[0]))
    return message


def log_handler(log_file: str | None) -> logging.Handler:
    """To ``log_file``, else to stderr; never stdout, which is a protocol channel."""
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


async def spawn(module: str) -> asyncio.subprocess.Process:
    """``python -m module`` with pipes, logging where this process logs."""
    root = logging.getLogger()
    files = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
    source = str(Path(__file__).resolve().parents[2])  # the folder holding ``tandem``
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    args = [str(root.getEffectiveLevel()), files[0].baseFilename if files else ""]
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip


async def stop(child: asyncio.subprocess.Process) -> None:
    """End ``child``: its input closes, so it leaves; killed if it has not after
    :data:`STOP_SECONDS`."""
    if child.stdin is not None and not child.stdin.is_closing():
        child.stdin.close()
    try:
        await asyncio.wait_for(child.wait(), STOP_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()


# -- in the child ----------------------------------------------------------------------


def child_setup(argv: list[str]) -> int:
    """Quiet stdout, the server's log and a lower priority; returns the channel's fd."""
    channel = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    level = int(argv[0]) if argv and argv[0] else logging.WARNING
    log_file = argv[1] if len(argv) > 1 and argv[1] else None
    logging.basicConfig(level=level, handlers=[log_handler(log_file)], force=True)
    yield_to_the_editor()
    return channel


async def child_pipes(channel: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The child's end of the wire, on its running loop: stdin, and the channel."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(channel, "wb")
    )
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)


def portable(error: BaseException, wrap: type[Exception]) -> BaseException:
    """``error``, or ``wrap`` of its message when it cannot be pickled."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return wrap(str(error) or type(error).__name__)
    return error
