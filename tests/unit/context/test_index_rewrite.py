"""Rewriting an indexed file keeps its unchanged chunks' rows: the result must be the
index a fresh build of the same texts makes, term for term and position for position."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.core.context.index import FileUpdate, WorkspaceIndex


def _function(name: str, sign: str = "+") -> str:
    """A function long enough to be a chunk of its own."""
    body = "".join(f"    step_{n} = {name}_input {sign} {n}\n" for n in range(8))
    return f"def {name}({name}_input):\n{body}    return step_7\n"


PIECES = [
    _function("alpha"),
    _function("beta"),
    _function("alpha", "-"),  # the same name, another body
    "class Gamma:\n    def run(self):\n        return 'gamma'\n\n    def stop(self):\n"
    "        return None\n",
    "LIMIT = 10\nNAME = 'delta'\n",
    "# a comment about epsilon\nimport os\n",
    "async def zeta(session):\n    await session.close()\n",
]


def _file(pieces: list[int]) -> str:
    return "\n\n".join(PIECES[i] for i in pieces)


POSTINGS = (
    "SELECT 'chunk', f.path, c.start_line, c.end_line, v.term, v.col, v.offset "
    "FROM temp.ci v JOIN chunks c ON c.id = v.doc JOIN files f ON f.id = c.file_id",
    "SELECT 'orphans', count(*), 0, 0, '', '', 0 FROM temp.ci "
    "WHERE doc NOT IN (SELECT id FROM chunks)",
    "SELECT 'file', f.path, 0, 0, v.term, v.col, v.offset "
    "FROM temp.fi v JOIN files f ON f.id = v.doc",
    "SELECT 'row', f.path, c.start_line, c.end_line, c.kind, coalesce(c.name, ''), c.names "
    "FROM chunks c JOIN files f ON f.id = c.file_id",
    "SELECT 'symbol', f.path, c.start_line, s.line, s.name, s.qualname, '' "
    "FROM symbols s JOIN chunks c ON c.id = s.chunk_id JOIN files f ON f.id = c.file_id",
    "SELECT 'vocab', term, doc, cnt, '', '', '' FROM chunk_vocab",
)
"""Every term occurrence in both FTS tables, named by file and chunk lines (row ids
differ between two builds), FTS rows of no chunk, the chunk and symbol rows."""


def _postings(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.ci USING fts5vocab(main, chunk_terms, instance)")
        conn.execute("CREATE VIRTUAL TABLE temp.fi USING fts5vocab(main, file_terms, instance)")
        return sorted(row for sql in POSTINGS for row in conn.execute(sql))
    finally:
        conn.close()


versions = st.lists(st.integers(0, len(PIECES) - 1), min_size=0, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a.py", "b.py"]), versions, st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_rewrites_leave_the_index_a_fresh_build_makes(tmp_path_factory, history) -> None:
    folder = tmp_path_factory.mktemp("rewrite")
    incremental = WorkspaceIndex(folder / "incremental.db")
    final: dict[str, str] = {}
    try:
        for n, (path, pieces, as_buffer) in enumerate(history):
            final[path] = _file(pieces)
            if as_buffer:  # the open-buffer path, which remembers its chunks' terms
                incremental.update_file(path, final[path], n, len(final[path]))
            else:
                incremental.update_files([FileUpdate(path, final[path], n, len(final[path]))])
    finally:
        incremental.close()
    fresh = WorkspaceIndex(folder / "fresh.db")
    try:
        fresh.update_files([FileUpdate(p, text, 0, len(text)) for p, text in final.items()])
    finally:
        fresh.close()
    assert _postings(folder / "incremental.db") == _postings(folder / "fresh.db")


def test_a_function_added_to_a_file_leaves_the_other_chunks_rows_in_place(tmp_path) -> None:
    index = WorkspaceIndex(tmp_path / "index.db")
    try:
        before = "\n\n".join(_function(name) for name in ("alpha", "beta", "gamma"))
        index.update_file("m.py", before, 1, len(before))
        ids = {h.name: h.chunk_id for h in index.chunks_of("m.py")}
        after = _function("zeta") + "\n\n" + before.replace("gamma_input + 3", "gamma_input - 3")
        index.update_file("m.py", after, 2, len(after))
        now = index.chunks_of("m.py")
        assert [h.name for h in now] == ["zeta", "alpha", "beta", "gamma"]
        moved = {h.name: h.chunk_id for h in now}
        assert (moved["alpha"], moved["beta"]) == (ids["alpha"], ids["beta"])
        assert moved["gamma"] != ids["gamma"]  # its text changed: a new row
        (beta,) = index.symbols("beta")
        assert beta.line == after.splitlines().index("def beta(beta_input):")
        record = index.get_chunk(moved["beta"])
        assert record is not None and record.text == _function("beta").rstrip("\n")
        assert index.search(["gamma_input"], 5)[0].chunk_id == moved["gamma"]
    finally:
        index.close()
