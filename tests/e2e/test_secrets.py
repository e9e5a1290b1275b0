"""Planted secrets never reach a model request, through any path content takes.

A real git workspace is seeded with secrets of many kinds (``tests.support.planted_secrets``):
in files the deny list withholds, in ordinary source files, only in unsaved buffers,
only in staged or unstaged changes, in a commit made after the server started, in a
selection, in the user's prompt and in a diagnostic. Chat turns in one session (so
earlier turns are replayed), the code action, previews and the command line then run
against the recording model stub; no piece of any secret may appear in anything the
stub received or the preview and CLI printed, and the manifests must name what they
redacted (kind and file, never the value).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.support import figures
from tests.support.gitrepo import git, make_repo
from tests.support.lsp import start_tandem, uri
from tests.support.planted_secrets import Secrets, leaks, pem

S = Secrets()
P = S.planted

# -- where each secret is planted -------------------------------------------------------

ENV = f"APP_MODE='{S.canary('env file')}'\nOPENAI_API_KEY={S.openai('env file')}\n"
FILES = {
    ".gitignore": "local_notes.txt\n*.log\n",
    ".tandemignore": "private/\n",
    ".env": ENV,
    "deploy/id_rsa": pem("OPENSSH", S.pem_body("id_rsa key")) + f"# {S.canary('id_rsa')}\n",
    "certs/server.pem": pem("RSA", S.pem_body("server.pem key")),
    ".aws/credentials": (
        f"[default]\n# {S.canary('aws credentials')}\n"
        f"aws_access_key_id = {S.aws_key_id('aws credentials id')}\n"
        f"aws_secret_access_key = {S.aws_secret('aws credentials secret')}\n"
    ),
    "config/credentials.json": json.dumps(
        {"note": S.canary("credentials.json"), "key": S.google("credentials.json key")}
    ),
    ".npmrc": f"//registry.npmjs.org/:_authToken={S.npm('npmrc')}\n# {S.canary('npmrc')}\n",
    "config/.env.staging": (
        f"STAGING_NOTE='{S.canary('allowed file note')}'\n"
        f"STRIPE_SECRET={S.stripe('allowed file stripe')}\n"
    ),
    "private/plan.md": f"# Plan\n{S.canary('tandemignored')}\n",
    "scratch/todo.txt": f"{S.canary('ignored by setting')}\n",
    "config.py": (
        "import os\n\n"
        f"AWS_ACCESS_KEY_ID = '{S.aws_key_id('config.py aws id')}'\n"
        f"aws_secret_access_key = '{S.aws_secret('config.py aws secret')}'\n"
        f'DB_PASSWORD = "{S.password("config.py password")}"\n\n\n'
        "def load_config():\n    return {'region': os.environ.get('REGION', 'eu')}\n"
    ),
    "web/client.js": (
        f'const apiToken = "{S.token_value("client.js token")}";\n'
        f'const base = "https://deploy:{S.password("client.js basic auth", "url_credentials")}'
        '@api.example.com/v1";\n'
        "export function loadConfig() { return fetch(base, { headers: { apiToken } }); }\n"
    ),
    "config.yaml": (
        f"slack:\n  bot: {S.slack('config.yaml slack')}\n"
        f"  secret: {S.token_value('config.yaml secret')}\nregion: eu\n"
    ),
    "settings.json": json.dumps(
        {"api_key": S.token_value("settings.json api_key"), "mail": S.sendgrid("settings.json")},
        indent=2,
    ),
    "app.ini": (
        f"; read by load_config\n[db]\npasswd = {S.password('app.ini passwd')}\n"
        f"url = postgres://app:{S.password('app.ini db url', 'database_url')}"
        "@db.internal:5432/app\n"
    ),
    "deploy.sh": (
        f"#!/bin/sh\nexport SERVICE_TOKEN={S.token_value('deploy.sh export')}\n"
        f"export GH={S.github_fine_grained('deploy.sh github pat')}\n"
        "load_config() { echo config; }\n"
    ),
    "keys.py": f'SIGNING_KEY = """{pem("EC", S.pem_body("keys.py ec key"))}"""\n',
    "docs/handover.md": "# Handover\n\n" + pem("PGP", S.pem_body("handover pgp key")),
    "billing.py": (
        "def charge(amount):\n"
        "    # the config token for charging\n"
        f"    session = '{S.jwt('selection jwt')}'\n"
        "    return amount, session\n"
    ),
    "integrations.py": (
        f'HF = "{S.huggingface("integrations.py hf")}"\n'
        f'DO = "{S.digitalocean("integrations.py do")}"\n'
        f'DATABRICKS = "{S.databricks("integrations.py databricks")}"\n'
        "STORAGE = 'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        f"{S.azure_account_key('integrations.py azure')};EndpointSuffix=core.windows.net'\n\n\n"
        "def load_config():\n    return {'hf': HF, 'do': DO, 'storage': STORAGE}\n"
    ),
    "lib.py": "def helper():\n    return 1\n",
    "utils.py": "def util():\n    return 2\n",
}
IGNORED_FILE = f"{S.canary('gitignored file')}\n"
STAGED_LIB = (
    f"def helper():\n    token_value = '{S.github_classic('staged lib.py')}'\n    return 1\n"
)
STAGED_ENV = ENV + f"EXTRA='{S.canary('staged .env')}'\nSLACK={S.slack('staged .env', 'xoxp')}\n"
UNSTAGED_UTILS = f"def util():\n    sid = '{S.twilio('unstaged utils.py')}'\n    return 2\n"
LATE = f"MAPS_KEY = '{S.google('committed after start')}'\n"
BUFFER_CONFIG = FILES["config.py"] + f"ANTHROPIC_API_KEY = '{S.anthropic('unsaved buffer')}'\n"
BUFFER_ENV = f"APP_MODE='{S.canary('unsaved .env')}'\nGITLAB={S.gitlab('unsaved .env')}\n"
BUFFER_IGNORED = f"{S.canary('unsaved gitignored')}\n"
PROMPT = f"Why does load_config fail with key {S.openai('prompt', project=False)} here?"
DIAGNOSTIC = f"invalid credential {S.github_classic('diagnostic')} in session"
CLI_PROMPT = f"where is load_config? my key is {S.gitlab('cli prompt')}"

ALLOWED_CANARY = P["allowed file note (canary)"].value
"""The one canary that must be sent: its file is allowed by ``workspace.allow``."""
WITHHELD = [p for p in P.values() if p.name != "allowed file note (canary)"]

EXPECTED_REDACTIONS = {
    ("config.py", "aws_access_key_id"), ("config.py", "aws_secret_key"),
    ("config.py", "password"), ("config.py", "anthropic_key"),
    ("web/client.js", "secret"), ("web/client.js", "url_credentials"),
    ("config.yaml", "slack_token"), ("config.yaml", "secret"),
    ("settings.json", "secret"), ("settings.json", "sendgrid_key"),
    ("app.ini", "password"), ("app.ini", "database_url"),
    ("deploy.sh", "secret"), ("deploy.sh", "github_token"),
    ("keys.py", "private_key"), ("docs/handover.md", "private_key"),
    ("billing.py", "jwt"), ("config/.env.staging", "stripe_key"),
    ("lib.py", "github_token"), ("utils.py", "twilio_key"), ("late.py", "google_api_key"),
    ("integrations.py", "huggingface_token"), ("integrations.py", "digitalocean_token"),
    ("integrations.py", "databricks_token"), ("integrations.py", "azure_key"),
    (None, "openai_key"),
}  # fmt: skip


def settings_for(stub: Any) -> dict[str, Any]:
    return {
        "model": {"baseUrl": stub.url, "name": "test-model", "maxRetries": 0},
        "workspace": {"allow": ["config/.env.staging"], "ignore": ["scratch/"]},
    }


def seed_workspace(root: Path) -> Path:
    """The repository: committed files, then staged and unstaged changes on top."""
    repo = make_repo(root, FILES)
    (repo / "env_link.txt").symlink_to(".env")
    (repo / "local_notes.txt").write_text(IGNORED_FILE)
    (repo / "lib.py").write_text(STAGED_LIB)
    (repo / ".env").write_text(STAGED_ENV)
    git(repo, "add", "lib.py", ".env", "env_link.txt")
    (repo / "utils.py").write_text(UNSTAGED_UTILS)
    return repo


def open_as_named(s: Any, doc_uri: str, text: str) -> None:
    """didOpen with the URI as given (``Session.open`` resolves symlinks first)."""
    s.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=doc_uri, language_id="plaintext", version=1, text=text)
        )
    )


async def ready(s: Any) -> None:
    """Indexed, and the session's git baseline taken (a commit made before it would be
    part of the baseline, not a change since the session began)."""
    await s.wait_state(
        lambda st: (
            st["folders"]
            and st["folders"][0].get("index") == "ready"
            and st["folders"][0].get("baseline")
        )
    )


def selection(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {
        "start": {"line": start[0], "character": start[1]},
        "end": {"line": end[0], "character": end[1]},
    }


async def ask_action(s: Any, doc: str) -> tuple[str, dict[str, Any]]:
    """The code action on billing.py's selection, with a diagnostic holding a secret."""
    rng = types.Range(types.Position(1, 0), types.Position(4, 0))
    diagnostic = types.Diagnostic(range=rng, message=DIAGNOSTIC, source="lint")
    actions = await s.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            range=rng,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    command = actions[0].command
    return command.command, command.arguments[0]


def assert_nothing_leaked(text: str, where: str) -> None:
    found = leaks(text, WITHHELD)
    figures.add("Secrets: planted secrets vs what left the machine", texts_scanned=1,
                characters_scanned=len(text), leaked_secrets=len(found))  # fmt: skip
    shown = [
        (name, text[max(0, text.find(piece) - 160) : text.find(piece) + 40])
        for name, piece in found
    ]
    assert not found, f"{where} carried planted secrets: {shown}"


def redacted_pairs(manifest: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(r["path"], r["kind"]) for r in manifest["redactions"]}


async def test_no_planted_secret_reaches_the_model(tmp_path, model_stub):
    repo = seed_workspace(tmp_path / "repo")
    previews: list[Any] = []
    async with start_tandem([repo], tmp_path / "data", settings=settings_for(model_stub)) as s:
        await ready(s)
        (repo / "late.py").write_text(LATE)
        git(repo, "add", "late.py")
        git(repo, "commit", "-q", "-m", "late")  # after the baseline: "changes since start"
        config = s.open(repo / "config.py", BUFFER_CONFIG)
        s.open(repo / ".env", BUFFER_ENV, language="dotenv")
        s.open(repo / "local_notes.txt", BUFFER_IGNORED, language="plaintext")
        open_as_named(s, f"{uri(repo)}/env_link.txt", STAGED_ENV)
        billing = s.open(repo / "billing.py")

        first = await s.command("tandem.chat", {"prompt": PROMPT, "uri": config})
        session = first["sessionId"]
        name, args = await ask_action(s, billing)
        results = [first, await s.command(name, {**args, "sessionId": session})]
        results.append(
            await s.command(
                "tandem.chat",
                {
                    "prompt": "and this part?",
                    "uri": billing,
                    "range": selection((2, 0), (3, 0)),
                    "sessionId": session,
                },
            )
        )
        for n in range(2):
            results.append(
                await s.command("tandem.chat", {"prompt": f"more {n}?", "sessionId": session})
            )
        preview = await s.command(
            "tandem.previewContext",
            {"prompt": PROMPT, "uri": config, "sessionId": session},
        )
        previews.append(preview)
        for denied in (uri(repo / ".env"), f"{uri(repo)}/env_link.txt"):
            with pytest.raises(JsonRpcException, match="secret"):
                await s.command(
                    "tandem.askAboutSelection",
                    {"uri": denied, "range": selection((0, 0), (1, 0))},
                )
        transcript = await s.command("tandem.getTranscript", {"sessionId": session})

    requests = model_stub.requests
    figures.add(
        "Secrets: planted secrets vs what left the machine",
        planted_secrets=len(WITHHELD),
        kinds_of_secret=len({p.kind for p in WITHHELD}),
        model_requests_recorded=len(requests),
    )
    assert len(model_stub.chat_requests()) == 5
    for recorded in requests:
        assert_nothing_leaked(json.dumps(recorded.body), f"request {recorded.path}")
        assert_nothing_leaked(_text(recorded.body), f"request {recorded.path}")
    assert_nothing_leaked(json.dumps(previews), "previewContext")
    assert_nothing_leaked(json.dumps(transcript["messages"][1::2]), "transcript answers")

    sent = "\n".join(_text(r.body) for r in model_stub.chat_requests())
    assert ALLOWED_CANARY in sent  # the allowed file is sent, its secret still redacted
    assert "[REDACTED:private_key]" in sent and "load_config" in sent
    assert_nothing_leaked(json.dumps(results), "chat results")
    reported = {
        (None if path.startswith("(") else path, kind)
        for result in results
        for path, kinds in result["manifest"]["redacted"].items()
        for kind in kinds
    }
    missing = EXPECTED_REDACTIONS - reported
    assert not missing, f"the manifests do not report {missing}"
    history = [r for r in preview["manifest"]["redactions"] if r["section"] == "history"]
    assert "openai_key" in {r["kind"] for r in history}  # the first prompt, replayed


def _text(body: Any) -> str:
    messages = body.get("messages", []) if isinstance(body, dict) else []
    return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))


def tandem_cli(*args: str, data: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tandem", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TANDEM_DATA_DIR": str(data), **env},
        timeout=120,
        check=True,
    )


def test_cli_context_and_ask_redact(tmp_path, model_stub):
    repo = seed_workspace(tmp_path / "repo")
    env = {"OPENAI_BASE_URL": model_stub.url, "TANDEM_MODEL": "test-model"}
    data = tmp_path / "data"
    common = ("--workspace", str(repo), "--file", str(repo / "billing.py"), "--lines", "2-4")
    context = tandem_cli("context", CLI_PROMPT, *common, "--json", data=data, env=env)
    dry = tandem_cli("ask", CLI_PROMPT, *common, "--dry-run", data=data, env=env)
    asked = tandem_cli("ask", CLI_PROMPT, *common, data=data, env=env)
    table = tandem_cli("context", CLI_PROMPT, "--workspace", str(repo), data=data, env=env)
    for name, out in (("context", context), ("dry-run", dry), ("ask", asked), ("table", table)):
        assert_nothing_leaked(out.stdout + out.stderr, f"tandem {name}")
    for recorded in model_stub.requests:
        assert_nothing_leaked(json.dumps(recorded.body), "tandem ask request")
    assert len(model_stub.chat_requests()) == 1
    manifest = json.loads(context.stdout)["manifest"]
    assert {("billing.py", "jwt"), (None, "gitlab_token"), ("lib.py", "github_token")} <= (
        redacted_pairs(manifest)
    )
    assert "Redacted:" in table.stdout and "aws_access_key_id" in table.stdout
