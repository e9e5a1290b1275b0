"""``tandem.previewContext`` on one checkout through the real server over stdio.

The server is ``python -m tandem serve`` at its default log level, driven by
pytest-lsp's client with VS Code's capabilities (minus dynamic file-watch registration:
nothing here would forward watcher events, so the server watches the folder itself).
Its data dir, and so its index, is kept per checkout: a second run starts warm.
Tokens are counted in ``cl100k_base`` (``model.encoding``), as aider counts for GPT-4.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "server"), str(ROOT)]

from bench.chat_overhead import initialize, launch, wait_indexed  # noqa: E402
from pytest_lsp.client import make_test_lsp_client  # noqa: E402
from tests.support.lsp import Session, plain  # noqa: E402

ENCODING = "cl100k_base"
SETTINGS = {"model": {"encoding": ENCODING}}
CODE_SECTIONS = ("code", "buffers")
FIRST_OVERHEAD = 400
"""Tokens allowed for everything but code and prompt before the first call measures it."""


@dataclass
class Preview:
    """One ``tandem.previewContext`` answer, reduced to what is scored."""

    label: str
    seconds: float
    code_tokens: int
    total_tokens: int
    budget: int
    lines: dict[str, set[int]] = field(default_factory=dict)
    """Path -> 0-based lines whose code the request holds."""


@asynccontextmanager
async def tandem_server(folder: Path, data_dir: Path) -> AsyncIterator[Session]:
    client = make_test_lsp_client()
    client._configuration[""]["tandem"] = SETTINGS
    for method in ("tandem/chatStatus", "tandem/chatDelta", "tandem/indexStatus"):
        client.feature(method)(lambda _: None)
    await launch(client, data_dir)
    try:
        await initialize(client, folder, SETTINGS)
        yield Session(client, data_dir)
    finally:
        await _stop(client)


async def _stop(client: Any) -> None:
    """Shut the server down politely, and kill it if it does not go."""
    try:
        await asyncio.wait_for(client.shutdown_session(), 30)
    except (asyncio.TimeoutError, RuntimeError, OSError):
        server = client._server
        if server is not None and server.returncode is None:
            server.kill()


async def preview(session: Session, label: str, prompt: str, budget: int) -> Preview:
    started = time.perf_counter()
    answer = plain(
        await session.command("tandem.previewContext", {"prompt": prompt, "budget": budget})
    )
    seconds = time.perf_counter() - started
    manifest = answer["manifest"]
    return Preview(
        label,
        seconds,
        sum(manifest["sections"].get(name, {}).get("tokens", 0) for name in CODE_SECTIONS),
        int(answer["totalTokens"]),
        int(answer["budget"]),
        code_lines(manifest),
    )


def code_lines(manifest: dict[str, Any]) -> dict[str, set[int]]:
    """Path -> 0-based lines of every code excerpt the manifest lists (1-based inclusive)."""
    lines: dict[str, set[int]] = defaultdict(set)
    for item in manifest["items"]:
        if item["section"] in CODE_SECTIONS and item.get("path") and item.get("lines"):
            start, end = item["lines"]
            lines[item["path"]].update(range(start - 1, end))
    return dict(lines)


def _overhead(first: Preview, prompt_tokens: int) -> int:
    """Tokens of a request that are neither code nor the prompt's own text."""
    return max(0, first.total_tokens - first.code_tokens - prompt_tokens)


async def measure_checkout(
    folder: Path,
    data_dir: Path,
    first_prompt: str,
    prompt: str,
    code_budgets: tuple[int, ...],
    count: Any,
) -> dict[str, Any]:
    """Index-ready time, a first call (``first_prompt``) and one warm call per code budget.

    The request budget is set so the code gets ``code_budget`` tokens: the first
    call's tokens that are neither code nor prompt are measured and added back.
    """
    async with tandem_server(folder, data_dir) as session:
        index_seconds = await wait_indexed(session)
        first_budget = code_budgets[0] + FIRST_OVERHEAD + count(first_prompt)
        first = await preview(session, "first", first_prompt, first_budget)
        overhead = _overhead(first, count(first_prompt))
        warm = []
        for budget in code_budgets:
            request_budget = budget + overhead + count(prompt)
            warm.append(await preview(session, f"warm-{budget}", prompt, request_budget))
    return {"index_seconds": index_seconds, "first": first, "warm": warm}
