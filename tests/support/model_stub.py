"""A real HTTP server on 127.0.0.1 that speaks the Chat Completions API, for tests.

Every Tandem test that needs a model talks to this stub over real sockets. It serves
``POST /v1/chat/completions`` (JSON, or SSE chunks ending in ``data: [DONE]`` with a
usage chunk when asked), ``GET /v1/models`` and ``POST /v1/embeddings`` (vectors from
hashed words, stable between runs). It records every request, and plays a queue of
scripted behaviours; with none queued it answers "Echo: <the last user message>".

In a test (``model_stub`` fixture from ``tests.support.fixtures``, or directly)::

    with ModelStub() as stub:
        stub.script(Status(429, retry_after=0.2), Reply(["Hel", "lo"]))
        settings = stub.model_settings(timeoutSeconds=2)      # or stub.settings (wire)
        ...
        assert "question" in stub.last_prompt_text()

Standalone, for editor tests that start it as a process::

    python -m tests.support.model_stub --port 0 --url-file /tmp/url

It then prints its URL on stderr, writes it to the file, and accepts scripts over
HTTP: ``POST /_stub/script`` with ``{"route": "chat", "behaviours": [{"type":
"reply", "chunks": ["a", "b"]}]}``; ``GET /_stub/requests`` lists what it received.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support import model_stub_wire as wire
from tests.support.model_stub_http import StubServer
from tests.support.model_stub_script import (
    ROUTES,
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
)

__all__ = [
    "Behaviour",
    "Hang",
    "Malformed",
    "ModelStub",
    "Recorded",
    "Reply",
    "SlowStream",
    "Stall",
    "Status",
    "StreamError",
    "Truncate",
    "behaviour_from_json",
]

DEFAULT_MODELS = ("stub-model", "stub-embed")


# -- the stub -------------------------------------------------------------------


class ModelStub:
    """The stub's state and controls; the HTTP side lives in ``model_stub_http``."""

    def __init__(
        self,
        port: int = 0,
        *,
        models: Sequence[str] = DEFAULT_MODELS,
        api_key: str | None = None,
        reject_stream_options: bool = False,
        chunk_delay: float = 0.0,
    ) -> None:
        self.models = list(models)
        self.model = self.models[0] if self.models else "stub-model"
        self.api_key = api_key
        """When set, requests without ``Authorization: Bearer <api_key>`` get a 401."""
        self.reject_stream_options = reject_stream_options
        """Answer 400 to any chat request carrying ``stream_options``, as some servers do."""
        self.chunk_delay = chunk_delay
        """Seconds before each piece of the default answer."""
        self.stopping = threading.Event()
        self._cond = threading.Condition()
        self._requests: list[Recorded] = []
        self._scripts: dict[str, deque[Behaviour]] = {route: deque() for route in ROUTES}
        self._disconnects: deque[float] = deque()
        self.disconnect_count = 0
        self._server = StubServer(("127.0.0.1", port), self)
        self._thread: threading.Thread | None = None

    # lifecycle

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to configure as ``model.baseUrl``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ModelStub:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"model-stub-{self.port}"
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.drop_connections()
        self._server.server_close()

    def __enter__(self) -> ModelStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # settings pointing at the stub

    @property
    def settings(self) -> dict[str, Any]:
        """Tandem settings as a client sends them (``initializationOptions``)."""
        return {"model": {"baseUrl": self.url, "name": self.model}}

    def model_settings(self, **overrides: Any) -> Any:
        """A ``ModelSettings`` for this stub; ``overrides`` are its camelCase fields."""
        from tandem.core.settings import ModelSettings

        return ModelSettings(**{"baseUrl": self.url, "name": self.model, **overrides})

    # scripting

    def script(self, *behaviours: Behaviour, route: str = "chat") -> None:
        """Queue behaviours for the next requests to ``route`` (chat, models, embeddings)."""
        with self._cond:
            self._scripts[route].extend(behaviours)

    def answer(self, *chunks: str) -> None:
        """The next chat answer, in these pieces."""
        self.script(Reply(chunks=list(chunks)))

    def stall_after(self, *chunks: str, seconds: float = 60.0) -> None:
        """The next chat answer starts with ``chunks`` and then stalls (to be cancelled)."""
        self.script(Stall(chunks=list(chunks), seconds=seconds))

    def pending(self, route: str = "chat") -> int:
        with self._cond:
            return len(self._scripts[route])

    def clear(self) -> None:
        with self._cond:
            self._requests.clear()
            self._disconnects.clear()
            for queue in self._scripts.values():
                queue.clear()

    # what was received

    @property
    def requests(self) -> list[Recorded]:
        with self._cond:
            return list(self._requests)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.route == "chat"]

    def last_body(self, route: str = "chat") -> Any:
        found = [r for r in self.requests if r.route == route]
        if not found:
            raise AssertionError(f"the model stub received no {route} request")
        return found[-1].body

    def last_prompt_text(self) -> str:
        """Every message content of the last chat request, joined by newlines."""
        return wire.message_text(self.last_body())

    def all_text_sent(self) -> str:
        """Every message content of every chat request, joined by newlines."""
        return "\n".join(wire.message_text(r.body) for r in self.chat_requests())

    def wait_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` requests arrived; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._requests) >= count, timeout)

    def wait_disconnected(self, timeout: float = 5.0) -> float | None:
        """When (``time.monotonic()``) a client left a reply in progress; None on timeout.

        Each disconnect is reported once, oldest first.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._disconnects), timeout):
                return None
            return self._disconnects.popleft()

    # called by the HTTP side, from its threads

    def record(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any,
        started: float | None = None,
    ) -> Recorded:
        recorded = Recorded(method, path, headers, body, started=started)
        with self._cond:
            self._requests.append(recorded)
            self._cond.notify_all()
        return recorded

    def next_behaviour(self, route: str) -> Behaviour | None:
        with self._cond:
            queue = self._scripts[route]
            return queue.popleft() if queue else None

    def client_left(self) -> None:
        with self._cond:
            self._disconnects.append(time.monotonic())
            self.disconnect_count += 1
            self._cond.notify_all()


# -- standalone -----------------------------------------------------------------


def _write_url(path: Path, url: str) -> None:
    """Atomically, so a reader polling for the file never sees half a URL."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(url)
    temporary.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.model_stub")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--url-file", type=Path, help="write the base URL here")
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    parser.add_argument("--api-key", help="require this bearer key")
    args = parser.parse_args(argv)
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    with ModelStub(args.port, api_key=args.api_key, chunk_delay=args.chunk_delay) as stub:
        sys.stderr.write(f"model stub listening on {stub.url}\n")
        sys.stderr.flush()
        if args.url_file:
            _write_url(args.url_file, stub.url)
        done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
