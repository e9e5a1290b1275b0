"""The command line on a real workspace: ``tandem context``, ``ask`` and ``history``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.gitrepo import make_repo

FILES = {
    "pkg/config.py": "def load_settings(path):\n    return {'path': path}\n",
    "pkg/app.py": "from pkg.config import load_settings\n\nSETTINGS = load_settings('a')\n",
    "README.md": "# Demo\n",
}


def tandem(*args: str, data, env=None, check=True) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "TANDEM_DATA_DIR": str(data), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tandem", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=check,
    )


def test_version():
    out = subprocess.run(
        [sys.executable, "-m", "tandem", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("tandem ")


def test_context_json_and_table(tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    data = tmp_path / "data"
    out = tandem(
        "context",
        "where is load_settings defined?",
        "--workspace",
        str(repo),
        "--json",
        "--budget",
        "4000",
        data=data,
    )
    result = json.loads(out.stdout)
    paths = {i["path"] for i in result["manifest"]["items"] if i.get("path")}
    assert "pkg/config.py" in paths
    assert result["totalTokens"] <= result["budget"] == 4000
    table = tandem("context", "load_settings", "--workspace", str(repo), data=data)
    assert "pkg/config.py" in table.stdout
    assert (data / "index").is_dir()  # the persistent index is reused by later calls


def test_ask_streams_and_history_shows_it(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", FILES)
    data = tmp_path / "data"
    env = {"OPENAI_BASE_URL": model_stub.url, "TANDEM_MODEL": "test-model", "OPENAI_API_KEY": "k"}
    out = tandem(
        "ask", "what does load_settings return?", "--workspace", str(repo), data=data, env=env
    )
    assert out.stdout.startswith("Echo: ")
    assert "def load_settings" in model_stub.all_text_sent()
    listing = tandem("history", "--workspace", str(repo), "list", data=data)
    assert "what does load_settings return?" in listing.stdout
    shown = tandem("history", "--workspace", str(repo), "show", data=data)
    assert out.stdout.splitlines()[0] in shown.stdout
    exported = tandem("history", "--workspace", str(repo), "export", "--format", "json", data=data)
    assert json.loads(exported.stdout)
    found = tandem("history", "--workspace", str(repo), "search", "load_settings", data=data)
    assert "#1 user" in found.stdout and "**load**" in found.stdout
    dry = tandem("ask", "again?", "--workspace", str(repo), "--dry-run", data=data, env=env)
    messages = json.loads(dry.stdout)["messages"]
    assert any("what does load_settings return?" in m["content"] for m in messages)
    reset = tandem("history", "--workspace", str(repo), "reset", data=data)
    assert "1 session(s) archived" in reset.stdout


def test_ask_with_a_selection(tmp_path, model_stub):
    repo = make_repo(tmp_path / "repo", FILES)
    env = {"OPENAI_BASE_URL": model_stub.url, "TANDEM_MODEL": "m", "OPENAI_API_KEY": "k"}
    tandem(
        "ask",
        "explain",
        "--workspace",
        str(repo),
        "--file",
        str(repo / "pkg/app.py"),
        "--lines",
        "3-3",
        data=tmp_path / "d",
        env=env,
    )
    final = model_stub.last_body()["messages"][-1]["content"]
    assert "SETTINGS = load_settings('a')" in final and "pkg/app.py" in final


def test_errors_are_messages_not_tracebacks(tmp_path):
    out = tandem(
        "context", "q", "--workspace", str(tmp_path / "missing"), data=tmp_path / "d", check=False
    )
    assert (
        out.returncode == 1 and "is not a directory" in out.stderr and "Traceback" not in out.stderr
    )
    bad = tandem(
        "ask", "q", "--workspace", str(tmp_path), "--lines", "3-1", data=tmp_path / "d", check=False
    )
    assert bad.returncode == 1 and "--lines" in bad.stderr
    refused = tandem("serve", "--tcp", "0.0.0.0:7777", data=tmp_path / "d", check=False)
    assert refused.returncode == 2 and "loopback" in refused.stderr
