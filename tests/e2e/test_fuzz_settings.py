"""Broken settings through the real server: it starts, keeps defaults, and says what
was wrong with ``window/showMessage``, from ``initializationOptions`` and from a
``workspace/configuration`` re-pull alike."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types

from tests.support.lsp import start_tandem

BROKEN = [
    {
        "model": {"timeoutSeconds": 10**400, "contextWindow": "huge", "headers": [1]},
        "history": {"backend": "mongo"},
        "shoe": {"size": 44},
    },
    {
        "model": "x" * 100_000,
        "workspace": {"ignore": [None], "watch": True},
        "context": {"maxBudgetTokens": -1},
    },
]
NAMED = [
    ["model.timeoutSeconds", "model.contextWindow", "model.headers", "history.backend", "shoe"],
    ["'model'", "workspace.ignore", "workspace.watch", "context.maxBudgetTokens"],
]


async def shown_naming(client, keys: list[str], timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = " ".join(m.message for m in client.messages)
        if all(key in shown for key in keys):
            return shown
        assert time.monotonic() < deadline, f"not all of {keys} named in: {shown[:500]}"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("settings", "named"), list(zip(BROKEN, NAMED, strict=True)))
async def test_broken_init_options_are_named_and_defaulted(tmp_path, settings, named):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data", settings=settings) as s:
        status = await s.command("tandem.status")
        assert status["historyBackend"] == "sqlite"
        shown = await shown_naming(s.client, named)
        assert len(shown) < 5_000


async def test_broken_configuration_on_a_re_pull_is_named_and_defaulted(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    async with start_tandem([folder], tmp_path / "data") as s:
        await s.command("tandem.status")
        s.client._configuration[""]["tandem"] = BROKEN[0]
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        await shown_naming(s.client, NAMED[0])
        status = await s.command("tandem.status")
        assert status["historyBackend"] == "sqlite"
