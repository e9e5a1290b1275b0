"""Drive the real Tandem server over stdio with pytest-lsp's client.

``start_tandem`` launches ``python -m tandem serve`` as a subprocess with its own
data dir, initializes it with the capability profile of a real editor (VS Code or
Neovim), and returns a ``Session`` with small helpers for the common calls.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import LanguageClient, make_test_lsp_client

PROFILES = {"vscode": "visual-studio-code", "neovim": "neovim@v0.11.0"}


def plain(value: Any) -> Any:
    """JSON as plain dicts and lists (pygls hands custom shapes over as namedtuples)."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def uri(path: Path) -> str:
    return path.resolve().as_uri()


@dataclass
class Session:
    client: LanguageClient
    data_dir: Path
    notifications: dict[str, list[Any]] = field(default_factory=dict)
    _waited: dict[str, int] = field(default_factory=dict)
    server_capabilities: Any = None
    """The ``InitializeResult`` the server answered with."""

    async def command(self, name: str, args: Any = None) -> Any:
        arguments = None if args is None else [args]
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=arguments)
        )

    def open(self, path: Path, text: str | None = None, language: str = "python") -> str:
        doc_uri = uri(path)
        body = path.read_text() if text is None else text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=doc_uri, language_id=language, version=1, text=body)
            )
        )
        return doc_uri

    def edit(
        self, doc_uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
    ) -> None:
        rng = types.Range(types.Position(*start), types.Position(*end))
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=doc_uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=rng, text=text)],
            )
        )

    async def request_command(self, name: str, args: Any) -> tuple[Any, Any]:
        """Send a command request; returns its future and its id (for ``$/cancelRequest``)."""
        before = set(self.client.protocol._request_futures)
        params = types.ExecuteCommandParams(command=name, arguments=[args])
        future = asyncio.ensure_future(self.client.workspace_execute_command_async(params))
        while not (new := set(self.client.protocol._request_futures) - before):
            await asyncio.sleep(0.001)
        return future, new.pop()

    def mark_seen(self, method: str) -> None:
        """Later ``wait_for_notification`` calls only see notifications from now on."""
        self._waited[method] = len(self.notifications.get(method, []))

    async def wait_for_notification(self, method: str, timeout: float = 10.0) -> Any:
        """The first notification of ``method`` not yet waited for."""
        seen = self._waited.get(method, 0)
        deadline = time.monotonic() + timeout
        while len(self.notifications.get(method, [])) <= seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} notification within {timeout}s")
            await asyncio.sleep(0.01)
        self._waited[method] = seen + 1
        return self.notifications[method][seen]

    async def wait_transcript(
        self, predicate: Callable[[list[Any]], bool], timeout: float = 10.0
    ) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            messages = (await self.command("tandem.getTranscript"))["messages"]
            if messages and predicate(messages):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"transcript never matched; last: {messages}")
            await asyncio.sleep(0.05)

    async def state(self, folder: Path | None = None) -> Any:
        return await self.command("tandem.workspaceState", {"uri": uri(folder)} if folder else None)

    async def wait_state(self, predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
        """Poll ``tandem.workspaceState`` until ``predicate`` holds (or fail)."""
        deadline = time.monotonic() + timeout
        while True:
            state = await self.state()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"state never matched; last: {state}")
            await asyncio.sleep(0.05)


def _capabilities(profile: str, watch: bool | None) -> types.ClientCapabilities:
    caps = client_capabilities(PROFILES[profile])
    if watch is not None and caps.workspace is not None:
        dcwf = caps.workspace.did_change_watched_files
        if dcwf is None:
            dcwf = types.DidChangeWatchedFilesClientCapabilities()
            caps.workspace.did_change_watched_files = dcwf
        dcwf.dynamic_registration = watch
    return caps


def quick_client(client: LanguageClient) -> None:
    """For benchmarks: a client whose own decoding does not delay its reading. pygls
    makes notification params namedtuples, a new namedtuple class per JSON object, and
    tells message kinds apart with slow ``isinstance`` checks; with ten answers
    streaming, both took the client's loop long enough to delay its reading of every
    other message, which a benchmark would count against the server. Here params stay
    JSON, and messages are dispatched by their fields, as the server does."""
    from pygls.protocol import JsonRPCNotification

    from tandem.lsp.messages import dispatch

    protocol = client.protocol
    protocol._converter.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))
    pygls_dispatch = protocol.handle_message
    protocol.handle_message = lambda message: dispatch(protocol, message, pygls_dispatch)  # type: ignore[method-assign]


def _decode_code_actions(client: LanguageClient) -> None:
    """lsprotocol decodes a ``CodeAction`` carrying a ``command`` as a broken ``Command``
    in Python clients; tell them apart by whether ``command`` is a string."""
    converter = client.protocol._converter
    item = types.Command | types.CodeAction

    def structure(obj: Any, _: Any) -> Any:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(item, structure)


@asynccontextmanager
async def start_tandem(
    folders: list[Path],
    data_dir: Path,
    profile: str = "vscode",
    settings: dict[str, Any] | None = None,
    client_watch: bool | None = False,
    encodings: list[str] | None = None,
    env: dict[str, str] | None = None,
):
    client = make_test_lsp_client()
    _decode_code_actions(client)
    if settings:
        client._configuration[""]["tandem"] = settings
    session = Session(client, data_dir)

    def record(method: str):
        def handler(params: Any) -> None:
            session.notifications.setdefault(method, []).append(plain(params))

        return handler

    for method in ("tandem/chatDelta", "tandem/indexStatus"):
        client.feature(method)(record(method))

    server_env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir), **(env or {})}
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = str(data_dir / "server.log")
    await client.start_io(
        sys.executable, "-m", "tandem", "serve", "-vv", "--log-file", log_file, env=server_env
    )
    caps = _capabilities(profile, client_watch)
    if encodings is not None:
        caps.general = types.GeneralClientCapabilities(position_encodings=encodings)
    ws_folders = [types.WorkspaceFolder(uri=uri(f), name=f.name) for f in folders]
    session.server_capabilities = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            workspace_folders=ws_folders or None,
            root_uri=ws_folders[0].uri if ws_folders else None,
            initialization_options={"tandem": settings} if settings else None,
        )
    )
    try:
        yield session
    finally:
        if client._server is not None and client._server.returncode is None:
            await client.shutdown_session()
        else:  # the test killed the server
            await client.stop()
