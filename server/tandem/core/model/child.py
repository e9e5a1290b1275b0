"""The model process: a :class:`~tandem.core.model.client.ModelClient` behind a pipe.

Started by :class:`~tandem.core.model.process.ModelProcess` as
``python -m tandem.core.model.child LEVEL LOGFILE``; its first frame is the model
settings, then calls and cancels (the frame format is in :mod:`.process`). Standard
output is the channel, so it is moved to a descriptor of its own first and fd 1 points
at standard error: nothing printed can corrupt a frame. The process leaves when its
input ends, which is also what happens when the server dies.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from typing import Any

from tandem.core.model.process import Frame, frame, read_frame
from tandem.core.priority import yield_to_the_editor


def main(argv: list[str]) -> int:
    channel = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    yield_to_the_editor()
    level = int(argv[0]) if argv and argv[0] else logging.WARNING
    log_file = argv[1] if len(argv) > 1 and argv[1] else None
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    asyncio.run(_serve(channel))
    return 0


async def _serve(channel: int) -> None:
    from tandem.core.model.client import ModelClient

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(channel, "wb")
    )
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    settings = await read_frame(reader)
    if settings is None:
        return
    client = ModelClient(settings[1])
    tasks: dict[int, asyncio.Task[None]] = {}
    try:
        while (message := await read_frame(reader)) is not None:
            if message[0] == "call":
                _, call_id, method, args = message
                task = asyncio.create_task(_run(client, writer, call_id, method, args))
                tasks[call_id] = task
                task.add_done_callback(functools.partial(_forget, tasks, call_id))
            elif message[0] == "cancel" and message[1] in tasks:
                tasks[message[1]].cancel()
    finally:
        for task in list(tasks.values()):
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        await client.close()
        writer.close()


def _forget(tasks: dict[int, asyncio.Task[None]], call_id: int, _: object) -> None:
    tasks.pop(call_id, None)


async def _run(
    client: Any, writer: asyncio.StreamWriter, call_id: int, method: str, args: tuple[Any, ...]
) -> None:
    def send(message: Frame) -> None:
        if not writer.is_closing():
            writer.write(frame(message))

    try:
        if method == "stream_chat":
            result = await client.stream_chat(*args, lambda text: send(("delta", call_id, text)))
        else:
            result = await getattr(client, method)(*args)
    except asyncio.CancelledError:
        return
    except Exception as error:  # every failure goes back to the caller, whatever it is
        send(("error", call_id, _portable(error)))
        return
    send(("result", call_id, result))
    await writer.drain()


def _portable(error: Exception) -> Exception:
    """``error``, or a ModelError with its message when it cannot be pickled."""
    import pickle

    from tandem.core.errors import ModelError

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return ModelError(str(error) or type(error).__name__)
    return error


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
