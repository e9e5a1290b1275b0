"""The model process: a :class:`~tandem.core.model.client.ModelClient` behind a pipe.

Started by :class:`~tandem.core.model.process.ModelProcess` as
``python -m tandem.core.model.child LEVEL LOGFILE``; its first frame is the model
settings, then calls and cancels (the messages are listed in :mod:`.process`, the
wire and the child's set-up in :mod:`tandem.core.pipes`).
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import Any

from tandem.core.errors import ModelError
from tandem.core.pipes import Frame, child_pipes, child_setup, frame, portable, read_frame


def main(argv: list[str]) -> int:
    asyncio.run(_serve(child_setup(argv)))
    return 0


async def _serve(channel: int) -> None:
    from tandem.core.model.client import ModelClient

    reader, writer = await child_pipes(channel)
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
        send(("error", call_id, portable(error, ModelError)))
        return
    send(("result", call_id, result))
    await writer.drain()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
