"""Every command, and the document methods, against hostile arguments, through the real
server (one per module, reused by every example) and a real model stub.

Each request must be answered within a few seconds, with a result or a JSON-RPC error
(-32602 for bad arguments, -32803 for a failure written for the user), never an
internal error; and after each batch the server still answers and the chat history
written before the batch is still there, message for message.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from pygls.exceptions import JsonRpcException

from tandem.lsp import payloads
from tests.support import figures
from tests.support.fuzz import BOGUS_URIS, fuzz_settings, huge, json_values, ranges, text
from tests.support.lsp import plain, start_tandem, uri
from tests.support.model_stub import ModelStub
from tests.support.raw_rpc import notify, request

pytestmark = pytest.mark.asyncio(loop_scope="module")
ANSWER_WITHIN = 5.0
EXPECTED_ERRORS = {-32602, -32803}
APP = "def main():\n    return compute(2)  # 😀\n\n\ndef compute(x):\n    return x * 21\n"

COMMANDS: dict[str, type] = {
    "tandem.status": payloads.Empty,
    "tandem.workspaceState": payloads.FolderArgs,
    "tandem.fileView": payloads.UriArgs,
    "tandem.chat": payloads.ChatArgs,
    "tandem.askAboutSelection": payloads.AskArgs,
    "tandem.cancel": payloads.CancelArgs,
    "tandem.previewContext": payloads.PreviewArgs,
    "tandem.listModels": payloads.Empty,
    "tandem.newSession": payloads.NewSessionArgs,
    "tandem.listSessions": payloads.ListSessionsArgs,
    "tandem.switchSession": payloads.SessionArgs,
    "tandem.getTranscript": payloads.MaybeSessionArgs,
    "tandem.resetWorkspace": payloads.ResetArgs,
    "tandem.exportSession": payloads.ExportArgs,
    "tandem.searchHistory": payloads.SearchArgs,
}
"""Every command the server registers, with the payload its arguments decode into."""


@dataclasses.dataclass
class World:
    s: Any
    folder: Any
    doc: str
    outside: str
    seed_session: str = ""
    seed_messages: list[Any] = dataclasses.field(default_factory=list)

    async def call(self, command: str, arguments: Any = None) -> Any:
        params: dict[str, Any] = {"command": command}
        if arguments is not None:
            params["arguments"] = arguments
        found = await request(self.s.client, "workspace/executeCommand", params, ANSWER_WITHIN)
        return plain(found)

    async def seed(self) -> None:
        """A chat turn whose history every batch must leave as it was."""
        turn = await self.call("tandem.chat", [{"prompt": "remember the number 42"}])
        self.seed_session = turn["sessionId"]
        self.seed_messages = await self.transcript(self.seed_session)

    async def transcript(self, session_id: str) -> list[Any]:
        found = await self.call("tandem.getTranscript", [{"sessionId": session_id}])
        return list(found["messages"])


@pytest.fixture(scope="module")
def stub():
    with ModelStub() as model:
        yield model


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(stub, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-commands")
    folder = root / "w"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    (root / "secret.txt").write_text("outside the workspace\n")
    settings = {"model": {"baseUrl": stub.url, "name": "stub-model", "maxRetries": 0}}
    async with start_tandem([folder], root / "data", settings=settings) as s:
        w = World(s, folder, s.open(folder / "app.py"), uri(root / "secret.txt"))
        await w.seed()
        yield w


def field_values(w: World) -> dict[str, st.SearchStrategy[Any]]:
    """Plausible and hostile values for each argument, by name."""
    uris = st.sampled_from([*BOGUS_URIS, w.doc, uri(w.folder), uri(w.folder / "gone.py")])
    words = st.one_of(text, st.sampled_from(["", " ", "hello"]), huge)
    session = st.one_of(st.sampled_from([w.seed_session, "", "no-such-session"]), huge)
    return {
        "uri": st.one_of(uris, st.just(w.outside)),
        "range": ranges(),
        "prompt": words,
        "question": words,
        "query": st.one_of(words, st.sampled_from(['"', "AND OR", "*", "NEAR(", "42"])),
        "title": words,
        "sessionId": session,
        "turnId": session,
        "diagnostics": st.lists(text, max_size=3),
        "includeArchived": st.booleans(),
        "mode": st.sampled_from(["archive", "delete", "purge", ""]),
        "format": st.sampled_from(["markdown", "json", "pdf"]),
        "budget": st.one_of(st.integers(-10, 100_000), st.integers()),
    }


@st.composite
def arguments(draw, w: World, command: str):
    """No arguments, junk, or an object with the right keys holding any values."""
    shape = draw(st.sampled_from(["none", "junk", "object", "object", "object"]))
    if shape == "none":
        return None
    if shape == "junk":
        return draw(st.lists(json_values, max_size=3))
    values = field_values(w)
    payload: dict[str, Any] = {}
    for f in dataclasses.fields(COMMANDS[command]):
        if draw(st.integers(0, 4), label=f"omit {f.name}?") == 0:
            continue
        plausible = draw(st.integers(0, 3), label=f"junk {f.name}?") > 0
        payload[f.name] = draw(values[f.name] if plausible else json_values, label=f.name)
    if draw(st.integers(0, 9), label="unknown key?") == 0:
        payload[draw(st.text(max_size=6))] = draw(json_values)
    return [payload]


def assert_answered_well(outcome: Any) -> None:
    if isinstance(outcome, JsonRpcException):
        assert outcome.code in EXPECTED_ERRORS, f"{outcome.code}: {outcome.message}"


async def assert_healthy(w: World, deleted: bool) -> None:
    """The server answers, and the history from before the batch is all there."""
    status = await w.call("tandem.status")
    assert status["historyBackend"] == "sqlite"
    if deleted:  # a successful `delete` reset removes the seed for good: seed again
        await w.seed()
    messages = await w.transcript(w.seed_session)
    assert messages[: len(w.seed_messages)] == w.seed_messages
    assert all(m["status"] in ("complete", "error") for m in messages)


async def outcome_of(w: World, command: str, args: Any) -> Any:
    try:
        outcome = await w.call(command, args)
    except JsonRpcException as error:
        outcome = error
    figure = "Fuzzing: random arguments to every command"
    if isinstance(outcome, JsonRpcException):
        kind = {-32602: "invalid_params", -32803: "refused_for_the_user"}.get(outcome.code)
        figures.add(figure, requests=1, **{kind or "other_errors": 1})
    else:
        figures.add(figure, requests=1, results=1)
    return outcome


async def test_the_table_covers_every_registered_command(world):
    registered = world.s.server_capabilities.capabilities.execute_command_provider.commands
    assert set(registered) == set(COMMANDS)


@fuzz_settings(60)
@given(data=st.data())
async def test_any_arguments_to_any_command_get_a_proper_answer(world, data):
    deleted = False
    for _ in range(data.draw(st.integers(1, 6), label="calls")):
        command = data.draw(st.sampled_from(sorted(COMMANDS)), label="command")
        args = data.draw(arguments(world, command), label="arguments")
        outcome = await outcome_of(world, command, args)
        assert_answered_well(outcome)
        if command == "tandem.resetWorkspace" and not isinstance(outcome, JsonRpcException):
            deleted = deleted or outcome["mode"] == "delete"
    await assert_healthy(world, deleted)
    figures.add("Fuzzing: random arguments to every command", health_checks_passed=1)


@pytest.mark.parametrize("command", ["tandem.fileView", "tandem.workspaceState"])
async def test_every_bogus_uri_is_refused_properly(world, command):
    """``file:///%00`` was an internal error (a NUL byte reached the file system)."""
    for bogus in BOGUS_URIS:
        assert_answered_well(await outcome_of(world, command, [{"uri": bogus}]))
    await assert_healthy(world, deleted=False)


# -- malformed document sync and code actions ----------------------------------------

_probes = itertools.count()


def document_uris(w: World) -> st.SearchStrategy[Any]:
    known = st.sampled_from([w.doc, uri(w.folder / "new.py"), w.outside, *BOGUS_URIS])
    return st.one_of(known, json_values)


def sync_messages(w: World) -> st.SearchStrategy[tuple[str, Any]]:
    """didOpen / didChange / didClose with wrong types, unknown URIs, wild ranges."""
    uris = document_uris(w)
    item = st.fixed_dictionaries(
        {"uri": uris, "languageId": st.one_of(text, json_values)},
        optional={"version": st.one_of(st.integers(), json_values), "text": text},
    )
    change = st.one_of(
        st.fixed_dictionaries({"range": ranges(), "text": st.one_of(text, json_values)}),
        st.fixed_dictionaries({"text": st.one_of(text, json_values)}),
        json_values,
    )
    versioned = st.fixed_dictionaries({"uri": uris, "version": st.integers(-1, 10**12)})
    changed = st.fixed_dictionaries(
        {"textDocument": versioned, "contentChanges": st.lists(change, max_size=3)}
    )
    return st.one_of(
        st.tuples(
            st.just("textDocument/didOpen"),
            st.one_of(st.fixed_dictionaries({"textDocument": item}), json_values),
        ),
        st.tuples(st.just("textDocument/didChange"), st.one_of(changed, json_values)),
        st.tuples(
            st.just("textDocument/didClose"),
            st.one_of(
                st.fixed_dictionaries({"textDocument": st.fixed_dictionaries({"uri": uris})}),
                json_values,
            ),
        ),
    )


async def assert_sync_still_works(w: World) -> None:
    """A fresh document opens, takes an edit, and reads back right."""
    s = w.s
    probe = s.open(w.folder / f"probe{next(_probes)}.py", "abc\n😀z\n")
    s.edit(probe, 2, (1, 2), (1, 3), "Z")
    view = await w.call("tandem.fileView", [{"uri": probe}])
    assert view["text"] == "abc\n😀Z\n"


@fuzz_settings(40)
@given(data=st.data())
async def test_malformed_document_sync_leaves_the_server_working(world, data):
    for _ in range(data.draw(st.integers(1, 6), label="notifications")):
        method, params = data.draw(sync_messages(world), label="message")
        notify(world.s.client, method, params)
        figures.add("Fuzzing: malformed document sync", notifications=1)
    await assert_sync_still_works(world)
    await assert_healthy(world, deleted=False)


def code_action_params(w: World) -> st.SearchStrategy[Any]:
    """Well-formed code action requests: any URI, ranges anywhere, diagnostics."""
    number = st.one_of(st.integers(0, 5), st.integers(0, 2**31 - 1))
    position = st.fixed_dictionaries({"line": number, "character": number})
    rng = st.fixed_dictionaries({"start": position, "end": position})
    diagnostic = st.fixed_dictionaries(
        {"range": rng, "message": text}, optional={"source": text, "severity": st.integers(1, 4)}
    )
    context = st.fixed_dictionaries(
        {"diagnostics": st.lists(diagnostic, max_size=2)},
        optional={"only": st.lists(st.sampled_from(["quickfix", "refactor", "source", ""]))},
    )
    uris = st.sampled_from([w.doc, uri(w.folder / "new.py"), w.outside, *BOGUS_URIS])
    return st.fixed_dictionaries(
        {"textDocument": st.fixed_dictionaries({"uri": uris}), "range": rng, "context": context}
    )


@fuzz_settings(40)
@given(data=st.data())
async def test_code_actions_on_any_range_of_any_document_are_answered(world, data):
    params = data.draw(code_action_params(world), label="params")
    actions = await request(world.s.client, "textDocument/codeAction", params, ANSWER_WITHIN)
    figures.add("Fuzzing: code actions on any range", requests=1)
    selected = params["range"]["start"] != params["range"]["end"]
    assert len(actions) <= 1 and (not actions or selected)


ILL_TYPED_REQUESTS = [
    ("workspace/executeCommand", None),
    ("workspace/executeCommand", {"command": 5, "arguments": 7}),
    ("textDocument/codeAction", {"textDocument": {"uri": "file:///x"}, "range": 5}),
    (
        "textDocument/codeAction",
        {
            "textDocument": {"uri": "file:///x"},
            "range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []},
        },
    ),
]


@pytest.mark.parametrize(("method", "params"), ILL_TYPED_REQUESTS)
async def test_ill_typed_requests_get_invalid_params(world, method, params):
    with pytest.raises(JsonRpcException) as raised:
        await request(world.s.client, method, params, timeout=1.0)
    assert raised.value.code == -32602
    await assert_healthy(world, deleted=False)
