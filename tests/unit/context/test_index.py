from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.core.context import index_write
from tandem.core.context.index import BATCH_FILES, FileUpdate, WorkspaceIndex
from tandem.core.context.terms import stem, terms

PARSER = '''"""Parsing."""


def parse_header(line):
    name, _, value = line.partition(":")
    return name.strip(), value.strip()


class Parser:
    def parse_header(self, line):
        return parse_header(line)

    def feed(self, data):
        return [self.parse_header(line) for line in data.splitlines()]
'''

CART = """class Cart:
    def total_price(self):
        return sum(item.price for item in self.items)
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "index.db"


@pytest.fixture
def index(db: Path) -> Iterator[WorkspaceIndex]:
    opened = WorkspaceIndex(db)
    yield opened
    opened.close()


def _paths(index: WorkspaceIndex, *words: str) -> set[str]:
    return {hit.path for hit in index.search(terms(" ".join(words)), 20)}


def _exact(index: WorkspaceIndex, identifier: str) -> set[str]:
    """Files with a chunk holding this whole identifier."""
    return {hit.path for hit in index.search([identifier.lower()], 20)}


def _fts_ok(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        for table in ("chunk_terms", "file_terms"):
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


def test_search_finds_chunks_by_identifier_parts(index: WorkspaceIndex) -> None:
    index.update_file("shop/cart.py", CART, 1, len(CART))
    index.update_file("http/parser.py", PARSER, 1, len(PARSER))
    hits = index.search(terms("total price"), 10)
    assert [(h.path, h.kind, h.name) for h in hits] == [("shop/cart.py", "class", "Cart")]
    assert hits[0].score > 0
    assert _paths(index, "header") == {"http/parser.py"}
    assert _paths(index, "cart") == {"shop/cart.py"}  # the path is searchable too


def test_index_persists_across_reopen(db: Path) -> None:
    first = WorkspaceIndex(db)
    first.update_file("shop/cart.py", CART, 111, 222)
    first.close()
    second = WorkspaceIndex(db)
    try:
        state = second.file_states()["shop/cart.py"]
        assert (state.mtime_ns, state.size) == (111, 222)
        assert _paths(second, "price") == {"shop/cart.py"}
        assert second.paths() == ["shop/cart.py"]
    finally:
        second.close()


def test_unchanged_content_is_not_reindexed_but_stat_is_refreshed(index: WorkspaceIndex) -> None:
    assert index.update_file("shop/cart.py", CART, 1, 10) is True
    chunk_ids = [h.chunk_id for h in index.chunks_of("shop/cart.py")]
    assert index.update_file("shop/cart.py", CART, 2, 20) is False
    assert [h.chunk_id for h in index.chunks_of("shop/cart.py")] == chunk_ids
    state = index.file_states()["shop/cart.py"]
    assert (state.mtime_ns, state.size) == (2, 20)
    assert index.update_files([FileUpdate("shop/cart.py", CART, 3, 30)]) == 0


def test_update_replaces_old_content(index: WorkspaceIndex, db: Path) -> None:
    index.update_file("shop/cart.py", CART, 1, 1)
    index.update_file("shop/cart.py", CART.replace("total_price", "grand_sum"), 2, 1)
    assert _exact(index, "total_price") == set()
    assert _exact(index, "grand_sum") == {"shop/cart.py"}
    assert [d.qualname for d in index.symbols("grand_sum")] == ["Cart.grand_sum"]
    assert index.symbols("total_price") == []
    _fts_ok(db)


def test_remove_forgets_a_file(index: WorkspaceIndex, db: Path) -> None:
    index.update_file("shop/cart.py", CART, 1, 1)
    index.update_file("http/parser.py", PARSER, 1, 1)
    assert index.remove_file("shop/cart.py") is True
    assert index.remove_file("shop/cart.py") is False
    assert _paths(index, "price") == set()
    assert index.paths() == ["http/parser.py"]
    assert "shop/cart.py" not in index.file_states()
    assert index.chunk_count() == len(index.chunks_of("http/parser.py"))
    _fts_ok(db)


def test_symbols_by_bare_and_qualified_name(index: WorkspaceIndex) -> None:
    index.update_file("http/parser.py", PARSER, 1, 1)
    found = index.symbols("parse_header")
    assert [(d.qualname, d.line) for d in found] == [
        ("parse_header", 3),
        ("Parser.parse_header", 9),
    ]
    assert [d.qualname for d in index.symbols("Parser.parse_header")] == ["Parser.parse_header"]
    assert index.symbols("missing") == []


def test_chunk_text_matches_the_file_lines(index: WorkspaceIndex) -> None:
    index.update_file("http/parser.py", PARSER, 1, 1)
    hit = next(h for h in index.chunks_of("http/parser.py") if h.name == "Parser")
    record = index.get_chunk(hit.chunk_id)
    assert record is not None
    lines = PARSER.splitlines()
    assert record.text == "\n".join(lines[hit.start_line : hit.end_line + 1])
    assert record.text.startswith("class Parser:")
    assert index.get_chunk(10_000) is None
    assert index.file_text("http/parser.py") == PARSER


def test_binary_and_huge_files_are_remembered_but_not_chunked(
    index: WorkspaceIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_write, "MAX_INDEX_BYTES", 100)
    assert index.update_file("logo.png", "PNG\x00\x01binary", 1, 11) is True
    assert index.update_file("big.py", "x = 1\n" * 50, 1, 300) is True
    assert index.update_file("gone.py", None, 1, 5) is True
    assert set(index.file_states()) == {"logo.png", "big.py", "gone.py"}
    assert index.chunk_count() == 0


def test_schema_version_mismatch_rebuilds_the_index(db: Path) -> None:
    first = WorkspaceIndex(db)
    first.update_file("shop/cart.py", CART, 1, 1)
    first.close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    second = WorkspaceIndex(db)
    try:
        assert second.file_states() == {}
        assert second.search(terms("price"), 5) == []
        second.update_file("shop/cart.py", CART, 1, 1)
        assert _paths(second, "price") == {"shop/cart.py"}
    finally:
        second.close()


def test_unreadable_database_file_is_replaced(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    index = WorkspaceIndex(db)
    try:
        index.update_file("shop/cart.py", CART, 1, 1)
        assert index.paths() == ["shop/cart.py"]
    finally:
        index.close()


def _module(n: int) -> str:
    return f"def handler_{n}(request):\n    return render_page_{n}(request)\n"


def test_searches_run_while_a_bulk_update_is_under_way(index: WorkspaceIndex) -> None:
    first_committed = threading.Event()
    proceed = threading.Event()
    total = 3 * BATCH_FILES

    def updates() -> Iterator[FileUpdate]:
        for n in range(total):
            if n == 2 * BATCH_FILES:
                first_committed.set()  # batch 1 is written before batch 3 is read
                assert proceed.wait(30)
            yield FileUpdate(f"app/view_{n}.py", _module(n), 1, 1)

    writer = threading.Thread(target=index.update_files, args=(updates(),))
    writer.start()
    try:
        assert first_committed.wait(30)
        assert _exact(index, "handler_0") == {"app/view_0.py"}
        assert _exact(index, f"handler_{total - 1}") == set()
    finally:
        proceed.set()
        writer.join(30)
    assert not writer.is_alive()
    assert len(index.paths()) == total
    assert _exact(index, f"render_page_{total - 1}") == {f"app/view_{total - 1}.py"}


def test_search_from_another_thread_uses_its_own_connection(index: WorkspaceIndex) -> None:
    index.update_file("shop/cart.py", CART, 1, 1)
    found: list[set[str]] = []
    thread = threading.Thread(target=lambda: found.append(_paths(index, "price")))
    thread.start()
    thread.join(10)
    assert found == [{"shop/cart.py"}]


def test_whole_files_are_searchable_too(index: WorkspaceIndex, db: Path) -> None:
    index.update_file("shop/cart.py", CART, 1, 1)
    index.update_file("http/parser.py", PARSER, 1, 1)
    found = index.search_files(terms("parse header feed data"), 5)
    assert [path for path, _ in found] == ["http/parser.py"]
    index.update_file("http/parser.py", "def unrelated():\n    return 0\n", 2, 1)
    assert index.search_files(terms("parse header"), 5) == []
    _fts_ok(db)


def test_document_frequencies_count_chunks(index: WorkspaceIndex) -> None:
    index.update_file("shop/cart.py", CART, 1, 1)
    index.update_file("http/parser.py", PARSER, 1, 1)
    df = index.document_frequencies([*terms("price header"), "nowhere"])
    assert df[stem("price")] == 1
    assert df["header"] >= 1
    assert "nowhere" not in df
    # remembered per generation: a write shows in the next lookup
    index.update_file("shop/till.py", CART.replace("Cart", "Till") + "\nnowhere = 1\n", 1, 1)
    again = index.document_frequencies([*terms("price header"), "nowher"])
    assert again[stem("price")] == 2 and again["nowher"] == 1
    assert index.file_frequencies(["nowher"]) == {"nowher": 1}
    index.remove_file("shop/till.py")
    assert index.document_frequencies(["nowher"]) == {}
    assert index.file_count() == 2


def test_chunk_text_follows_updates(index: WorkspaceIndex) -> None:
    index.update_file("shop/cart.py", CART, 1, 1)
    first = index.chunks_of("shop/cart.py")[0]
    assert "total_price" in index.get_chunks([first.chunk_id])[0].text
    index.update_file("shop/cart.py", CART.replace("total_price", "grand_sum"), 2, 1)
    again = index.chunks_of("shop/cart.py")[0]
    record = index.get_chunk(again.chunk_id)
    assert record is not None and "grand_sum" in record.text
