"""Incremental sync through the real server, against the reference model of positions.

One server per position encoding, reused by every example: each example opens a new
document, sends random ``didChange`` notifications (several changes each, ranges past
line ends and past the last line, whole-text replacements), and reads the buffer back
with ``tandem.fileView``.
"""

from __future__ import annotations

import itertools

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from tests.support import figures
from tests.support.fuzz import fuzz_settings, text
from tests.support.lsp import start_tandem, uri
from tests.support.text_reference import ENCODINGS, positions, reference_edit, reference_index

pytestmark = pytest.mark.asyncio(loop_scope="module")
_names = itertools.count()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=ENCODINGS)
async def server(request, tmp_path_factory):
    encoding = request.param
    root = tmp_path_factory.mktemp(f"sync-{encoding}")
    folder = root / "w"
    folder.mkdir()
    async with start_tandem([folder], root / "data", encodings=[encoding]) as s:
        negotiated = s.server_capabilities.capabilities.position_encoding
        assert negotiated == encoding
        yield s, folder, encoding


@st.composite
def change_batches(draw, initial: str, encoding: str):
    """``didChange`` batches and the text the reference expects after each."""
    document, batches = initial, []
    for _ in range(draw(st.integers(1, 4), label="notifications")):
        changes = []
        for _ in range(draw(st.integers(1, 3), label="changes")):
            new = draw(text, label="new text")
            if draw(st.integers(0, 7), label="whole?") == 0:
                changes.append(types.TextDocumentContentChangeWholeDocument(text=new))
                document = new
                continue
            a = draw(positions(document, encoding), label="a")
            b = draw(positions(document, encoding), label="b")
            a, b = sorted((a, b), key=lambda p: reference_index(list(document), p, encoding))
            rng = types.Range(types.Position(*a), types.Position(*b))
            changes.append(types.TextDocumentContentChangePartial(range=rng, text=new))
            document = reference_edit(document, a, b, new, encoding)
        batches.append((changes, document))
    return batches


@fuzz_settings(60)
@given(data=st.data(), initial=text)
async def test_edits_through_the_server_match_the_reference(server, data, initial):
    s, folder, encoding = server
    batches = data.draw(change_batches(initial, encoding), label="batches")
    doc = s.open(folder / f"doc{next(_names)}.txt", initial, language="plaintext")
    for version, (changes, _) in enumerate(batches, start=2):
        s.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
                content_changes=changes,
            )
        )
    view = await s.command("tandem.fileView", {"uri": doc})
    figures.add(
        "Fuzzing: incremental sync through the server",
        documents=1,
        edits=sum(len(changes) for changes, _ in batches),
        **{f"documents_{encoding}": 1},
    )
    s.client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=doc))
    )
    assert view["source"] == "buffer" and view["version"] == len(batches) + 1
    assert view["text"] == batches[-1][1]
    assert not s.client.messages, "a valid edit was refused"


async def test_the_server_ends_every_example_with_no_document_left_open(server):
    s, folder, _ = server
    state = await s.state()
    assert state["openDocuments"] == []
    assert uri(folder) == state["folders"][0]["uri"]
