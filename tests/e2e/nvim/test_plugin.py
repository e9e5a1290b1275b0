"""The plugin's own logic inside a real Neovim, without a server: ranges in each
offset encoding, the transcript buffer, settings on the wire, the panel's layouts."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.nvim

LINE = 's = "😀 héllo wörld"'


@pytest.fixture
def editor(start_editor, workspace):
    (workspace / "e.py").write_text(LINE + "\nnext = 1\n")
    ed = start_editor(workspace, cmd=["/nonexistent/tandem", "serve"])
    ed.nvim.command(f"edit {workspace / 'e.py'}")
    return ed


def lsp_range(editor, first, last, encoding):
    return editor.lua(
        "local f, l, e = ... return require('tandem.util').lsp_range(0, f, l, e)",
        first,
        last,
        encoding,
    )


@pytest.mark.parametrize(
    ("encoding", "start", "end"),
    # "héllo" starts after 's = "😀 ' : 7 bytes + 4 (emoji) ... in each unit
    [("utf-8", 10, 16), ("utf-16", 8, 13), ("utf-32", 7, 12)],
)
def test_charwise_selection_range_in_each_encoding(editor, encoding, start, end):
    first_byte = LINE.encode().index(b"h")
    last_byte = LINE.encode().index(b"o w")  # the 'o' of héllo, inclusive
    rng = lsp_range(editor, [1, first_byte], [1, last_byte], encoding)
    assert rng == {"start": {"line": 0, "character": start}, "end": {"line": 0, "character": end}}
    assert LINE.encode("utf-8")[10:16].decode() == "héllo"


def test_linewise_selection_ends_at_the_end_of_its_last_line(editor):
    rng = editor.lua(
        "return require('tandem.util').lsp_range(0, {1, 0}, {2, vim.v.maxcol}, 'utf-16')"
    )
    assert rng == {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 8}}


def test_visual_selection_feeds_the_command_range(editor):
    editor.nvim.input('1G0f"lvfo<Esc>')  # charwise, from the emoji to the o of héllo
    editor.wait_for("vim.fn.visualmode() == 'v' and vim.fn.mode() == 'n'", "visual mode to end")
    first, last = editor.lua(
        "local a, b = require('tandem.util').command_selection(0, 1, 1) return {a, b}"
    )
    assert first == [1, LINE.encode().index("😀".encode())]
    assert last == [1, LINE.encode().index(b"o w")]
    # an explicit line range that is not the visual selection means whole lines
    first, last = editor.lua(
        "local a, b = require('tandem.util').command_selection(0, 2, 2) return {a, b}"
    )
    assert first == [2, 0] and last[0] == 2


def test_settings_on_the_wire_are_objects_without_empty_tables(editor):
    encoded = editor.lua(
        "return vim.json.encode(require('tandem.util').wire("
        "{model = {name = 'm', headers = {}}, workspace = {ignore = {}}}))"
    )
    assert encoded == '{"model":{"name":"m"}}'
    assert editor.lua("return vim.json.encode(require('tandem.util').wire({}))") == "{}"
    params = editor.lua(
        "return vim.json.encode(require('tandem.util').command_params('tandem.status'))"
    )
    assert json.loads(params) == {"command": "tandem.status", "arguments": [{}]}


def test_transcript_groups_messages_and_streams_into_the_answer(editor):
    messages = [
        {"role": "user", "content": "q1", "turnId": "t1", "status": "complete"},
        {"role": "assistant", "content": "a1", "turnId": "t1", "status": "complete"},
        {"role": "user", "content": "q2", "turnId": "t2", "status": "complete"},
        {"role": "assistant", "content": "half", "turnId": "t2", "status": "cancelled"},
        {"role": "user", "content": "q3", "turnId": "t3", "status": "complete"},
    ]
    lines = editor.lua(
        """
        local t = require('tandem.transcript')
        local turns = t.from_messages(...)
        local buf = vim.api.nvim_create_buf(false, true)
        t.render(buf, turns, {'hint'})
        assert(t.append(buf, turns[3], 'str'))
        assert(t.append(buf, turns[3], 'eamed\\nsecond line'))
        return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
        """,
        messages,
    )
    text = "\n".join(lines)
    assert text == (
        "## You\n\nq1\n\n## Tandem\n\na1\n\n"
        "## You\n\nq2\n\n## Tandem\n\nhalf\n\n_(cancelled)_\n\n"
        "## You\n\nq3\n\n## Tandem\n\nstreamed\nsecond line\n"
    )


@pytest.mark.parametrize("layout", ["right", "below", "float"])
def test_panel_opens_and_closes_in_each_layout(editor, layout):
    editor.lua("require('tandem.config').options.panel.layout = ...", layout)
    editor.lua("require('tandem.panel').open({focus = true})")
    handles = editor.lua("return require('tandem.panel').handles()")
    assert editor.lua("return vim.api.nvim_get_current_win()") == handles["prompt_win"]
    floating = editor.lua("return vim.api.nvim_win_get_config(...).relative ~= ''", handles["win"])
    assert floating == (layout == "float")
    assert editor.lua("return vim.bo[...].filetype", handles["transcript"]) == "markdown"
    editor.nvim.input("q")
    editor.wait_for("not require('tandem.panel').is_open()", "the panel to close")
    assert editor.lua("return #vim.api.nvim_list_wins()") == 1
