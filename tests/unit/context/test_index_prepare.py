"""Preparing files on worker processes gives what preparing them in-process gives."""

from __future__ import annotations

import inspect
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tandem.core.context import index_prepare
from tandem.core.context.index import FileUpdate, WorkspaceIndex
from tandem.core.context.index_prepare import prepared_batches, workers_for
from tandem.core.context.index_write import Prepared, content_hash
from tandem.core.context.terms import terms


def stdlib_updates(count: int) -> list[FileUpdate]:
    """Real modules of the interpreter's standard library (code no one here wrote)."""
    root = Path(inspect.getfile(inspect)).parent
    files = sorted(root.glob("*.py"))[:count]
    return [FileUpdate(p.name, p.read_text("utf-8", "replace"), 1, p.stat().st_size) for p in files]


def flat(batches: list[list[Prepared]]) -> list[Prepared]:
    return [item for batch in batches for item in batch]


def test_workers_prepare_the_same_files_in_the_same_order() -> None:
    updates = stdlib_updates(60)
    known = {updates[3].path: content_hash(updates[3].text or "")}  # unchanged: not chunked
    serial = list(prepared_batches(updates, known, 7))
    parallel = list(prepared_batches(updates, known, 7, workers=2))
    assert [len(b) for b in parallel] == [len(b) for b in serial]
    assert flat(parallel) == flat(serial)
    assert flat(parallel)[3].chunks == () and flat(parallel)[4].chunks


def test_an_index_built_by_workers_answers_as_one_built_in_process(tmp_path: Path) -> None:
    updates = stdlib_updates(80)
    serial, parallel = WorkspaceIndex(tmp_path / "a.db"), WorkspaceIndex(tmp_path / "b.db")
    try:
        assert serial.update_files(updates) == parallel.update_files(updates, workers=2) == 80
        assert serial.chunk_count() == parallel.chunk_count()
        for query in ("parse the header line", "thread lock acquire", "base64 decode"):
            expected = [(h.path, h.start_line, h.score) for h in serial.search(terms(query), 30)]
            found = [(h.path, h.start_line, h.score) for h in parallel.search(terms(query), 30)]
            assert found == expected
    finally:
        serial.close()
        parallel.close()


def test_a_failed_worker_batch_is_prepared_in_process() -> None:
    batch = stdlib_updates(3)
    failed: Future[list[Prepared]] = Future()
    failed.set_exception(BrokenProcessPool("a worker died"))
    assert index_prepare._result(batch, failed, {}) == index_prepare._prepare_batch(batch, {})
    assert index_prepare._result(batch, None, {}) == index_prepare._prepare_batch(batch, {})


def test_small_passes_stay_in_process() -> None:
    assert workers_for(index_prepare.PARALLEL_FROM - 1) == 0
    assert workers_for(10_000) <= index_prepare.MAX_WORKERS
