"""A real redis-server on 127.0.0.1 for tests and benchmarks, stopped by its pid.

Use the fixtures from a ``conftest.py``::

    from tests.support.redis_server import redis_server, redis_server_private  # noqa: F401

``redis_server`` is shared by a whole test run (give each test its own key prefix,
see ``unique_prefix``); ``redis_server_private`` is a server of the test's own, for
tests that stop or restart it. Both skip the test when no redis-server binary exists.
Outside pytest: ``with RedisServer() as server: ... server.url``.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

READY_TEXT = "Ready to accept connections"
START_TIMEOUT = 10.0


def find_redis_server() -> str | None:
    """The redis-server binary: on PATH, else /usr/bin/redis-server, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    fallback = Path("/usr/bin/redis-server")
    return str(fallback) if fallback.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_prefix() -> str:
    """A key prefix no other test uses, still under the ``tandem:`` namespace."""
    return f"tandem:test-{uuid.uuid4().hex[:12]}:"


class RedisServer:
    """One redis-server process without persistence; ``restart`` keeps the port."""

    def __init__(self, binary: str | None = None, port: int | None = None) -> None:
        found = binary or find_redis_server()
        if found is None:
            raise FileNotFoundError("redis-server not found")
        self.binary = found
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log: list[str] = []
        self._drainer: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--loglevel", "notice"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0
        )
        self._await_ready()
        self._drainer = threading.Thread(target=self._drain, args=(self.process,), daemon=True)
        self._drainer.start()
        if not self.ping():
            raise RuntimeError(f"redis-server on port {self.port} does not answer PING")

    def _await_ready(self) -> None:
        """Read the server's log until it says it is ready (or exits)."""
        assert self.process is not None and self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        seen = ""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while READY_TEXT not in seen and time.monotonic() < deadline:
                if not selector.select(deadline - time.monotonic()):
                    break
                chunk = os.read(fd, 65536)  # unbuffered: select() sees everything pending
                if not chunk:
                    break
                seen += chunk.decode(errors="replace")
        self.log.append(seen)
        if READY_TEXT not in seen:
            self.stop()
            raise RuntimeError("redis-server did not start:\n" + "".join(self.log)[-2000:])

    def _drain(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.log.append(line.decode(errors="replace"))

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill the server by its pid and wait for it to exit."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        drainer, self._drainer = self._drainer, None
        if drainer is not None:
            drainer.join(timeout=10)  # it ends at EOF, now that the process is gone
        if process.stdout is not None:
            process.stdout.close()

    def restart(self) -> None:
        """Stop and start again on the same port (all data is lost: no persistence)."""
        self.stop()
        self.start()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _started() -> Iterator[RedisServer]:
    if find_redis_server() is None:
        pytest.skip("redis-server binary not found")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server shared by the test run; use a unique key prefix per test."""
    yield from _started()


@pytest.fixture
def redis_server_private() -> Iterator[RedisServer]:
    """A redis-server for one test, which may stop or restart it."""
    yield from _started()
