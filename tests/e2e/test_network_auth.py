"""``tandem serve --tcp/--ws`` off loopback: an explicit flag, a shared token, and a
check on every connection before the server sees any of its messages.

Real ``tandem serve`` processes; a raw JSON-RPC client over TCP (Content-Length
framing) and the ``websockets`` client, so the tests see exactly what goes over the wire.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

TOKEN = "s3cret-Token-for-tests-4f9a1c"
NOT_AUTHENTICATED = -32002
AUTH_FAILED = -32803
WAIT = 10.0


def remote_host() -> str:
    """A non-loopback IPv4 address of this machine, else ``0.0.0.0``."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "0.0.0.0"
    for word in out.stdout.split():
        try:
            ip = ipaddress.ip_address(word)
        except ValueError:
            continue
        if ip.version == 4 and not ip.is_loopback:
            return word
    return "0.0.0.0"


REMOTE = remote_host()


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_TOKEN"}
    return {**env, **extra}


@dataclass
class Served:
    proc: asyncio.subprocess.Process
    host: str
    port: int
    log: Path
    folder: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


@asynccontextmanager
async def tandem_serve(tmp_path: Path, *args: str, env: dict[str, str]) -> AsyncIterator[Served]:
    """Run ``tandem serve ARGS`` (port 0) and learn its address from its log."""
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "a.py").write_text("print('a')\n")
    log = tmp_path / "server.log"
    env = {**env, "TANDEM_DATA_DIR": str(tmp_path / "data")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tandem", "serve", *args, "-vv", "--log-file", str(log),
        env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        host, port = await _listening(proc, log)
        yield Served(proc, "127.0.0.1" if host == "0.0.0.0" else host, port, log, folder)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def _listening(proc: asyncio.subprocess.Process, log: Path) -> tuple[str, int]:
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        if found := re.search(r"listening on ([\d.]+):(\d+)", text):
            return found[1], int(found[2])
        if proc.returncode is not None:
            break
        await asyncio.sleep(0.02)
    assert proc.stderr is not None
    raise AssertionError(f"server did not listen: {text} {await proc.stderr.read()!r}")


@dataclass
class Rpc:
    """A raw JSON-RPC client over TCP with Content-Length framing."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    notifications: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 0

    @classmethod
    async def connect(cls, served: Served) -> Rpc:
        return cls(*await asyncio.open_connection(served.host, served.port))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    async def request(self, method: str, params: Any = None) -> dict[str, Any]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while (message := await self.receive()) is not None:
            if message.get("id") == self.next_id and "method" not in message:
                return message
            self.notifications.append(message)
        raise AssertionError(f"connection closed before the answer to {method}")

    async def state(self) -> dict[str, Any]:
        """``tandem.workspaceState`` once the folder is tracked (it is scanned after
        ``initialized``)."""
        deadline = asyncio.get_running_loop().time() + WAIT
        while state := (await self.request("workspace/executeCommand", STATE))["result"]:
            if state["folders"] or asyncio.get_running_loop().time() > deadline:
                return dict(state)
            await asyncio.sleep(0.02)
        raise AssertionError("no workspace state")

    async def receive(self) -> dict[str, Any] | None:
        """The next message, or ``None`` once the server has closed the connection."""
        header = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), WAIT)
        length = int(re.search(rb"Content-Length: (\d+)", header)[1])  # type: ignore[index]
        return json.loads(await self.reader.readexactly(length))

    async def closed(self) -> bool:
        """Whether the server closes the connection (EOF) with nothing more sent."""
        return await asyncio.wait_for(self.reader.read(), WAIT) == b""

    def close(self) -> None:
        self.writer.close()


def initialize(served: Served, options: Any = None) -> dict[str, Any]:
    return {
        "processId": None,
        "rootUri": served.folder.as_uri(),
        "workspaceFolders": [{"uri": served.folder.as_uri(), "name": "ws"}],
        "capabilities": {},
        "initializationOptions": options,
    }


STATE = {"command": "tandem.workspaceState", "arguments": []}


def open_a(served: Served) -> dict[str, Any]:
    doc = {"uri": (served.folder / "a.py").as_uri(), "languageId": "python", "version": 1}
    return {"textDocument": {**doc, "text": "print('b')\n"}}


def code(answer: dict[str, Any]) -> int:
    return int(answer["error"]["code"])


async def start_session(rpc: Rpc, served: Served, options: Any) -> dict[str, Any]:
    answer = await rpc.request("initialize", initialize(served, options))
    assert "capabilities" in answer["result"], answer
    rpc.notify("initialized", {})
    return answer


async def end_session(rpc: Rpc, served: Served) -> None:
    await rpc.request("shutdown")
    rpc.notify("exit")
    assert await asyncio.wait_for(served.proc.wait(), WAIT) == 0
    assert_clean_log(served)


def assert_clean_log(served: Served) -> None:
    log = served.log_text()
    assert TOKEN not in log and "Traceback" not in log


# -- refusing to start ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--tcp", f"{REMOTE}:0"], {}, "--allow-remote"),
        (["--ws", f"{REMOTE}:0"], {"TANDEM_TOKEN": TOKEN}, "not a loopback address"),
        (["--tcp", f"{REMOTE}:0", "--allow-remote"], {}, "without a token: set $TANDEM_TOKEN"),
        (["--tcp", f"{REMOTE}:0", "--allow-remote"], {"TANDEM_TOKEN": "short"}, "at least 16"),
        (["--tcp", "0:0", "--allow-remote", "--token-file", "/nonexistent"], {}, "token file"),
        (["--allow-remote"], {}, "apply to --tcp and --ws only"),
    ],
)
def test_refuses_to_start(args: list[str], env: dict[str, str], says: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tandem", "serve", *args],
        capture_output=True,
        text=True,
        env=server_env(TANDEM_DATA_DIR=str(tmp_path), **env),
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and TOKEN not in out.stderr


# -- TCP ------------------------------------------------------------------------


async def test_remote_tcp_admits_only_the_right_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    args = ("--tcp", f"{REMOTE}:0", "--allow-remote", "--token-file", str(token_file))
    async with tandem_serve(tmp_path, *args, env=server_env()) as served:
        early = await Rpc.connect(served)
        refused = await early.request("workspace/executeCommand", STATE)
        assert code(refused) == NOT_AUTHENTICATED
        early.notify("textDocument/didOpen", open_a(served))  # dropped, never handled
        wrong = await early.request("initialize", initialize(served, {"token": "x" * 20}))
        assert code(wrong) == AUTH_FAILED and await early.closed()

        tokenless = await Rpc.connect(served)
        missing = await tokenless.request("initialize", initialize(served))
        assert code(missing) == AUTH_FAILED and await tokenless.closed()

        for junk in (b"Content-Length: 5\r\n\r\nnope!", b"Content-Length: 99999999\r\n\r\n"):
            malformed = await Rpc.connect(served)
            malformed.writer.write(junk)
            assert await malformed.closed()
        leaving = await Rpc.connect(served)
        leaving.notify("exit")
        assert await leaving.closed()  # closes this connection, not the server

        client = await Rpc.connect(served)
        await start_session(client, served, {"token": TOKEN, "model": {"name": "m"}})
        state = await client.state()
        assert [f["uri"] for f in state["folders"]] == [served.folder.as_uri()]
        assert state["openDocuments"] == []  # the unauthenticated didOpen never arrived
        shown = [n for n in client.notifications if n["method"] == "window/showMessage"]
        assert not [n for n in shown if "setting" in n["params"]["message"]], shown
        assert TOKEN not in json.dumps(client.notifications) + json.dumps(state)
        await end_session(client, served)
    log = served.log_text()
    assert "'workspace/executeCommand' before authenticating" in log
    assert "initialize: wrong token" in log and "initialize with no token" in log


async def test_one_client_at_a_time_and_each_connection_authenticates(tmp_path: Path) -> None:
    env = server_env(TANDEM_TOKEN=TOKEN)  # a token given on loopback is required too
    async with tandem_serve(tmp_path, "--tcp", "127.0.0.1:0", env=env) as served:
        client = await Rpc.connect(served)
        await start_session(client, served, {"token": TOKEN})

        intruder = await Rpc.connect(served)  # not authenticated by the first connection
        refused = await intruder.request("workspace/executeCommand", STATE)
        assert code(refused) == NOT_AUTHENTICATED
        second = await Rpc.connect(served)
        busy = await second.request("initialize", initialize(served, {"token": TOKEN}))
        assert code(busy) == AUTH_FAILED and "already serving" in busy["error"]["message"]
        assert await second.closed()
        probe = await Rpc.connect(served)
        probe.close()  # a connection that ends unauthenticated does not stop the server

        client.notify("textDocument/didOpen", open_a(served))
        state = await client.state()
        assert [d["version"] for d in state["openDocuments"]] == [1]  # answers still come here
        client.close()  # the client's connection ends: the server stops
        assert await asyncio.wait_for(served.proc.wait(), WAIT) == 0
    assert_clean_log(served)


async def test_loopback_without_a_token_needs_none(tmp_path: Path) -> None:
    async with tandem_serve(tmp_path, "--tcp", "127.0.0.1:0", env=server_env()) as served:
        client = await Rpc.connect(served)
        # a stray token among the settings is no setting, and never reported as one
        await start_session(client, served, {"tandem": {"token": TOKEN, "bogus": 1}})
        state = await client.state()
        assert state["folders"][0]["uri"] == served.folder.as_uri()
        shown = [n["params"]["message"] for n in client.notifications]
        assert any("'bogus'" in m for m in shown) and not any("token" in m for m in shown)
        await end_session(client, served)


# -- WebSocket ------------------------------------------------------------------


async def ws_request(ws: ClientConnection, msg_id: int, method: str, params: Any) -> Any:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}))
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if message.get("id") == msg_id and "method" not in message:
            return message


async def ws_state(ws: ClientConnection) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + WAIT
    for msg_id in range(100, 1000):
        state = (await ws_request(ws, msg_id, "workspace/executeCommand", STATE))["result"]
        if state["folders"] or asyncio.get_running_loop().time() > deadline:
            return dict(state)
        await asyncio.sleep(0.02)
    raise AssertionError("no workspace state")


async def test_websocket_bearer_header_or_initialize_token(tmp_path: Path) -> None:
    env = server_env(TANDEM_TOKEN=TOKEN)
    async with tandem_serve(tmp_path, "--ws", f"{REMOTE}:0", "--allow-remote", env=env) as served:
        url = f"ws://{served.host}:{served.port}"
        with pytest.raises(InvalidStatus) as rejected:
            await connect(url, additional_headers={"Authorization": "Bearer wrong-token-1234567"})
        assert rejected.value.response.status_code == 401

        async with connect(url) as ws:
            early = await ws_request(ws, 1, "workspace/executeCommand", STATE)
            assert code(early) == NOT_AUTHENTICATED
            wrong = await ws_request(ws, 2, "initialize", initialize(served, {"token": "nope"}))
            assert code(wrong) == AUTH_FAILED
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT)

        async with connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            answer = await ws_request(ws, 1, "initialize", initialize(served))
            assert "capabilities" in answer["result"]
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
            state = await ws_state(ws)
            assert state["folders"][0]["uri"] == served.folder.as_uri()
        assert await asyncio.wait_for(served.proc.wait(), WAIT) == 0
    log = served.log_text()
    assert "wrong bearer token" in log and "initialize: wrong token" in log
    assert_clean_log(served)


async def test_websocket_token_in_initialize(tmp_path: Path) -> None:
    env = server_env(TANDEM_TOKEN=TOKEN)
    async with tandem_serve(tmp_path, "--ws", "127.0.0.1:0", env=env) as served:
        async with connect(f"ws://{served.host}:{served.port}") as ws:
            answer = await ws_request(ws, 1, "initialize", initialize(served, {"token": TOKEN}))
            assert "capabilities" in answer["result"]
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
            state = await ws_state(ws)
            assert state["folders"][0]["uri"] == served.folder.as_uri()
        assert await asyncio.wait_for(served.proc.wait(), WAIT) == 0
    assert_clean_log(served)
