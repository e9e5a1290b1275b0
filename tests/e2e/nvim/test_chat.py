"""The chat in a real Neovim: the plugin, the real server, and the HTTP model stub."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.nvim


@pytest.fixture
def editor(start_editor, workspace, model):
    ed = start_editor(workspace, settings=model.settings)
    ed.edit("app.py")
    return ed


def test_chat_streams_the_answer_and_sends_unsaved_text(editor, workspace, model):
    model.answer("`main` greets ", "the world ", "with 42.")
    editor.lua("vim.api.nvim_buf_set_lines(0, 5, 6, false, {'    return greet(\"unsaved-42\")'})")
    editor.nvim.command("TandemChat what does main do?")
    editor.wait_status("complete")
    assert editor.panel_open()
    text = editor.transcript()
    assert "## You\n\nwhat does main do?\n\n## Tandem\n\n`main` greets the world with 42." in text
    assert "ready" in editor.winbar()
    assert "unsaved-42" in model.last_prompt_text()
    assert "what does main do?" in model.last_prompt_text()
    assert "unsaved-42" not in (workspace / "app.py").read_text()
    # the focus stays in the file
    assert editor.lua("return vim.api.nvim_buf_get_name(0)") == str(workspace / "app.py")


def float_text(editor) -> str:
    """The text of the current window, which must be a float."""
    assert editor.lua("return vim.api.nvim_win_get_config(0).relative") == "editor"
    return "\n".join(editor.nvim.current.buffer[:])


def test_manifest_and_context_preview(editor, model):
    model.answer("It greets.")
    editor.lua("vim.api.nvim_buf_set_lines(0, 5, 6, false, {'    return greet(\"unsaved-7\")'})")
    editor.nvim.command("TandemChat what does main do?")
    editor.wait_status("complete")
    # the manifest comes with the request's result, just after the "complete" status
    editor.wait_for("require('tandem.chat').turns()[1].manifest ~= nil", "the chat result")
    editor.nvim.command("wincmd l")  # the transcript
    editor.nvim.input("gm")
    editor.wait_for("vim.api.nvim_win_get_config(0).relative ~= ''", "the manifest float")
    shown = float_text(editor)
    assert shown.startswith("# What was sent")
    assert "**tokens**:" in shown and "**usage**:" in shown
    editor.nvim.input("q")
    editor.wait_for("vim.api.nvim_win_get_config(0).relative == ''", "the float to close")

    requests = len(model.chat_requests())
    editor.nvim.command("TandemContext how is greet used?")
    editor.wait_for("vim.api.nvim_win_get_config(0).relative ~= ''", "the context float")
    shown = float_text(editor)
    assert shown.startswith("# What Tandem would send")
    assert "how is greet used?" in shown and "unsaved-7" in shown
    assert len(model.chat_requests()) == requests  # a preview never calls the model


def test_ask_about_a_visual_selection(editor, model):
    model.answer("It prefixes a greeting.")
    # charwise on line 2, after the emoji: 'héllo " + name'; ':' in visual mode types '<,'>
    editor.nvim.input("2G0fhvg_:TandemAsk what does this expression build?<CR>")
    editor.wait_status("complete")
    sent = model.last_prompt_text()
    # the selection section holds exactly the selected characters (columns in the
    # negotiated offset encoding, past a 4-byte / 2-unit emoji)
    assert re.search(r'Selection[^\n]*\n```\w*\nhéllo " \+ name\n```', sent), sent
    assert "what does this expression build?" in sent
    text = editor.transcript()
    assert "what does this expression build?" in text and "It prefixes a greeting." in text


def test_code_action_opens_the_panel_with_the_answer(editor, model):
    model.answer("greet builds a greeting.")
    assert not editor.panel_open()
    editor.lua(
        "vim.lsp.buf.code_action({apply = true, range = {start = {1, 0}, ['end'] = {2, 20}},"
        " filter = function(a) return a.title == 'Ask Tandem about selection' end})"
    )
    editor.wait_status("complete")
    assert editor.panel_open()
    text = editor.transcript()
    assert "Explain this code." in text and "greet builds a greeting." in text
    sent = model.last_prompt_text()
    assert re.search(r"Selection[^\n]*\n```\w*\ndef greet\(name\):\n", sent), sent


def test_turns_started_elsewhere_show_in_the_panel(editor, model):
    """A turn run by someone else on this client (another plugin, say) still streams in."""
    model.answer("from elsewhere")
    editor.lua(
        "local c = vim.lsp.get_clients({name='tandem'})[1] "
        "c:request('workspace/executeCommand', {command = 'tandem.chat', "
        "arguments = {{prompt = 'asked by a plugin'}}}, function() end)"
    )
    editor.wait_for("require('tandem').status() == 'complete'", "the foreign turn")
    assert editor.panel_open()
    assert "asked by a plugin" in editor.transcript() and "from elsewhere" in editor.transcript()


def test_reset_starts_a_chat_without_old_turns(editor, model):
    model.answer("first answer")
    editor.nvim.command("TandemChat first question")
    editor.wait_status("complete")
    model.answer("second answer")
    editor.nvim.command("TandemChat second question")
    editor.wait_for(
        "#require('tandem.chat').turns() == 2 and require('tandem').status() == 'complete'",
        "turn 2",
    )
    assert (
        "first question" in model.last_prompt_text() and "first answer" in model.last_prompt_text()
    )

    editor.lua(
        "vim.ui.select = function(items, opts, choose) _G.reset_items = items choose(items[1]) end"
    )
    editor.nvim.command("TandemReset")
    editor.wait_for("#require('tandem.chat').turns() == 0", "the panel to clear")
    assert editor.lua("return _G.reset_items[1].mode") == "archive"
    assert "first question" not in editor.transcript()

    model.answer("fresh answer")
    editor.nvim.command("TandemChat third question")
    editor.wait_status("complete")
    sent = model.last_prompt_text()
    assert "third question" in sent
    for old in ("first question", "first answer", "second question", "second answer"):
        assert old not in sent
    transcript = editor.command("tandem.getTranscript")
    assert [m["content"] for m in transcript["messages"]] == ["third question", "fresh answer"]


def test_new_session_and_switch_back(editor, model):
    model.answer("about topic one")
    editor.nvim.command("TandemChat topic one")
    editor.wait_status("complete")
    first = editor.lua("return require('tandem.chat').session().session_id")

    editor.lua(
        "_G.pick = function(want) vim.ui.select = function(items, opts, choose)"
        " for _, item in ipairs(items) do"
        "  if opts.format_item(item):find(want, 1, true) then return choose(item) end"
        " end error('no item ' .. want) end end"
    )
    editor.lua("_G.pick('New session') vim.ui.input = function(opts, done) done('topic two') end")
    editor.nvim.command("TandemSessions")
    editor.wait_for(
        f"require('tandem.chat').session().loaded"
        f" and require('tandem.chat').session().session_id ~= '{first}'",
        "the new session",
    )
    assert "topic one" not in editor.transcript()
    listed = editor.command("tandem.listSessions")
    assert len(listed["sessions"]) == 2
    assert "topic two" in [s["title"] for s in listed["sessions"]]

    editor.lua("_G.pick('topic one')")  # the first session, titled after its first prompt
    editor.nvim.command("TandemSessions")
    editor.wait_for(
        f"require('tandem.chat').session().loaded"
        f" and require('tandem.chat').session().session_id == '{first}'",
        "the switch back",
    )
    assert "about topic one" in editor.transcript()


def test_cancel_mid_stream_keeps_the_partial_answer(editor, model):
    model.stall_after("partial answer ")
    editor.nvim.command("TandemChat tell me a long story")
    editor.wait_for("require('tandem').status() == 'streaming'", "streaming")
    editor.wait_for(
        "vim.tbl_contains(vim.api.nvim_buf_get_lines("
        "require('tandem.panel').handles().transcript, 0, -1, false), 'partial answer ')",
        "the first delta in the transcript",
    )
    editor.nvim.command("wincmd l")  # into the panel
    editor.nvim.command("wincmd j")  # its prompt
    assert editor.lua("return vim.api.nvim_get_current_buf()") == editor.lua(
        "return require('tandem.panel').handles().prompt"
    )
    editor.nvim.input("<C-c>")
    editor.wait_status("cancelled")
    turn = editor.lua("local t = require('tandem.chat').turns() return t[#t]")
    assert not turn.get("unconfirmed"), "the server never confirmed the cancel"
    assert "_(cancelled)_" in editor.transcript() and "cancelled" in editor.winbar()
    messages = editor.command("tandem.getTranscript")["messages"]
    assert messages[-1]["role"] == "assistant"
    assert messages[-1]["status"] == "cancelled"
    assert messages[-1]["content"] == "partial answer "
    assert model.wait_disconnected() is not None, "the model connection stayed open"


def test_restarted_neovim_shows_the_transcript_again(start_editor, workspace, model):
    first = start_editor(workspace, settings=model.settings)
    first.edit("app.py")
    model.answer("I will remember.")
    first.nvim.command("TandemChat remember the number 7")
    first.wait_status("complete")
    first.quit()

    second = start_editor(workspace, settings=model.settings)
    second.edit("app.py")
    second.nvim.command("TandemChat")
    second.wait_for("require('tandem.chat').session().loaded", "the transcript to load")
    text = second.transcript()
    assert "remember the number 7" in text and "I will remember." in text
    assert second.status() == "complete"


def test_settings_reach_the_server_and_follow_a_new_setup(editor, model):
    status = editor.command("tandem.status")
    assert status["model"] == model.model and model.url in status["endpoint"]
    # setup() again: the running server is told, pulls workspace/configuration anew
    editor.lua(
        "local url = ... require('tandem').setup({cmd = vim.lsp.config.tandem.cmd,"
        " settings = {model = {baseUrl = url, name = 'renamed-model'}}})",
        model.url,
    )
    editor.wait_for(
        "(function() local c = vim.lsp.get_clients({name = 'tandem'})[1]"
        " local r = c:request_sync('workspace/executeCommand',"
        " require('tandem.util').command_params('tandem.status'), 5000)"
        " return r and r.result and r.result.model == 'renamed-model' end)()",
        "the server to take the new model name",
    )
    model.answer("renamed")
    editor.nvim.command("TandemChat which model?")
    editor.wait_status("complete")
    assert model.last_body()["model"] == "renamed-model"


def test_server_exit_mid_turn_shows_an_error(editor, model):
    model.stall_after("half ")
    editor.nvim.command("TandemChat tell me everything")
    editor.wait_status("streaming")
    editor.lua("vim.lsp.get_clients({name = 'tandem'})[1]:stop(true)")
    editor.wait_status("error")
    assert "_(error: the Tandem server stopped)_" in editor.transcript()
