"""Ten chat sessions streaming at once while the editor types: nothing fails, nothing
is lost.

The short form of ``bench/load.py`` (which measures the same run for a minute): the
real server on a git repository of stdlib modules and an open 20,000-line module, a
streaming model in its own process (50 pieces, 5 ms apart), ten sessions sending turns
back to back for a few seconds while a one-character edit arrives every 20 ms. Speed
and memory are reported by the benchmark, not asserted here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from bench.load import Config, run_load

from tandem.cli.headless import TerminalNotifier
from tandem.core.app import FolderSpec, Tandem
from tandem.core.context.service import Focus
from tandem.core.settings import Settings
from tests.support import figures
from tests.support.gitrepo import make_repo
from tests.support.model_stub import ModelStub, SlowStream


@pytest.mark.slow
async def test_ten_sessions_and_steady_edits_lose_nothing(tmp_path: Path) -> None:
    config = Config.quick()
    results = await run_load(tmp_path, config)
    answered = sum(len(turns) for turns in results.tally.turns.values())
    figures.add(
        "Load (short form in the test suite)",
        sessions=config.sessions,
        turns_answered=answered,
        turns_stored=results.store.stored,
        errors=len(results.errors) + len(results.store.problems) + len(results.log_errors),
        edits=sum(len(v) for v in results.edits.values()),
    )

    assert results.errors == []
    assert set(results.tally.turns) == set(results.tally.attempts)
    assert len(results.tally.turns) == config.sessions
    answered = sum(len(turns) for turns in results.tally.turns.values())
    assert answered == results.tally.sent
    assert answered >= 2 * config.sessions  # the warm-up turn and at least one under load
    assert results.store.problems == []
    assert results.store.stored == answered
    assert results.stub["chat"] == answered
    assert results.log_errors == []
    assert all(results.edits[phase] for phase in ("idle", "load", "idle after"))


class Overlap:
    """How many calls ran at once, at most."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def __exit__(self, *exc: object) -> None:
        self.now -= 1


async def test_turns_of_different_sessions_assemble_one_at_a_time(
    tmp_path: Path, model_stub: ModelStub
) -> None:
    """The load above found edits waiting seconds behind ten assemblies running in
    threads at once; turns now assemble one at a time while their answers still stream
    side by side."""
    repo = make_repo(tmp_path / "repo", {"app.py": "def main():\n    return 42\n"})
    settings = Settings(model=model_stub.model_settings())
    tandem = Tandem(tmp_path / "data", TerminalNotifier(quiet=True), settings)
    tandem.own_watcher = False
    try:
        await tandem.add_folders([FolderSpec(repo, repo.as_uri(), repo.name)])
        overlap, assemble = Overlap(), tandem.context.assemble

        async def observed(*args: Any, **kwargs: Any) -> Any:
            with overlap:
                return await assemble(*args, **kwargs)

        tandem.context.assemble = observed  # type: ignore[method-assign]
        model_stub.script(*[SlowStream(["a ", "b ", "c"], delay=0.05)] * 4)
        sessions = [await asyncio.to_thread(tandem.sessions.new, f"s{n}") for n in range(4)]
        turns = [tandem.chat("what does main return?", s.id, Focus()) for s in sessions]
        results = await asyncio.gather(*turns)
    finally:
        await tandem.shutdown()
    assert [r.status for r in results] == ["complete"] * 4
    assert overlap.most == 1
    assert len({r.session_id for r in results}) == 4
