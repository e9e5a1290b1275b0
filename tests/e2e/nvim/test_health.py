""":checkhealth tandem in a real Neovim, with the server running and with it missing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.nvim


def checkhealth(editor) -> str:
    editor.nvim.command("checkhealth tandem")
    return "\n".join(editor.nvim.current.buffer[:])


def test_checkhealth_reports_ok_with_a_running_server(start_editor, workspace, model, data_dir):
    editor = start_editor(workspace, settings=model.settings)
    editor.edit("app.py")
    report = checkhealth(editor)
    assert "ERROR" not in report, report
    assert "OK Neovim 0.11" in report
    assert "OK server command: " in report and "-m tandem serve" in report
    assert "tandem --version`: tandem " in report
    assert f"for {workspace} is running" in report
    assert f"data dir: {data_dir}" in report
    assert "the endpoint answers" in report and model.url in report
    assert "OK API key variable $OPENAI_API_KEY is set" in report


def test_checkhealth_reports_a_missing_server_executable(start_editor, workspace):
    editor = start_editor(workspace, cmd=["/nonexistent/bin/tandem", "serve"])
    editor.nvim.command(f"edit {workspace / 'app.py'}")
    report = checkhealth(editor)
    assert "ERROR server executable not found: `/nonexistent/bin/tandem`" in report
    assert "pip install tandem-ls" in report
    assert "OK Neovim 0.11" in report
    # setup() said so too, once, instead of failing on every buffer
    messages = editor.messages()
    assert "the Tandem server '/nonexistent/bin/tandem' was not found" in messages
    assert editor.lua("return #vim.lsp.get_clients({name = 'tandem'})") == 0
