"""The manifest: JSON on the wire, a table for the CLI, a summary for chat results."""

from __future__ import annotations

import json

from tandem.core.context.manifest import Redaction, build, render_table, summary
from tandem.core.context.planner import Item, plan


def make_manifest() -> dict:
    code = Item(
        "code",
        "src/a.py:10-20",
        "...",
        120,
        score=0.87654,
        meta={"path": "src/a.py", "start_line": 10, "end_line": 20, "why": ["lexical 0.8"]},
    )
    buffer = Item(
        "buffer",
        "src/b.py",
        "...",
        60,
        meta={"path": "src/b.py", "start_line": 1, "end_line": 40, "mode": "diff", "why": []},
    )
    big = Item("code", "src/c.py:1-900", "...", 5000, score=0.5, meta={"path": "src/c.py",
               "start_line": 1, "end_line": 900})  # fmt: skip
    prompt = Item("prompt", "prompt", "...", 30, droppable=False)
    chosen = plan(
        {"code": [code, big], "buffers": [buffer], "prompt": [prompt]},
        1000,
        headers={"code": 4, "buffers": 4},
        reserved=7,
    )
    duplicate = Item("code", "src/a.py:12-14", "...", 20, meta={"path": "src/a.py",
                     "start_line": 12, "end_line": 14})  # fmt: skip
    return build(
        chosen,
        "o200k_base",
        [Redaction("buffers", "src/b.py", "github_token", 3)],
        [("code", duplicate, "duplicate: already shown")],
    )


def test_manifest_shape_and_wire_keys() -> None:
    manifest = make_manifest()
    assert set(manifest) == {
        "items", "dropped", "sections", "totalTokens", "overheadTokens", "budget",
        "encoding", "redactions",
    }  # fmt: skip
    json.dumps(manifest)
    assert manifest["items"][0] == {
        "section": "code",
        "kind": "code",
        "key": "src/a.py:10-20",
        "path": "src/a.py",
        "lines": [10, 20],
        "tokens": 120,
        "score": 0.8765,
        "why": ["lexical 0.8"],
        "mode": None,
        "shrunk": False,
    }
    assert manifest["totalTokens"] == 120 + 60 + 30 + 4 + 4 + 7
    assert manifest["overheadTokens"] == 15
    assert manifest["budget"] == 1000
    assert manifest["encoding"] == "o200k_base"


def test_dropped_items_carry_their_reason_and_section() -> None:
    dropped = make_manifest()["dropped"]
    assert [(d["key"], d["section"], d["reason"]) for d in dropped] == [
        ("src/a.py:12-14", "code", "duplicate: already shown"),
        ("src/c.py:1-900", "code", "over budget"),
    ]


def test_section_totals() -> None:
    sections = make_manifest()["sections"]
    assert sections["code"] == {"tokens": 120, "items": 1, "dropped": 2}
    assert sections["buffers"] == {"tokens": 60, "items": 1, "dropped": 0}
    assert sections["history"] == {"tokens": 0, "items": 0, "dropped": 0}


def test_redactions_never_hold_the_secret() -> None:
    assert make_manifest()["redactions"] == [
        {"section": "buffers", "path": "src/b.py", "kind": "github_token", "line": 3}
    ]


def test_render_table_lists_items_drops_and_redactions() -> None:
    table = render_table(make_manifest())
    assert table.startswith("Context: 225 of 1,000 tokens (o200k_base)\n")
    assert "src/a.py:10-20" in table and "0.88" in table and "lexical 0.8" in table
    assert "Dropped:" in table and "over budget" in table
    assert "Redacted:" in table and "src/b.py:3  github_token" in table


def test_summary_is_short() -> None:
    assert summary(make_manifest()) == {
        "totalTokens": 225,
        "budget": 1000,
        "encoding": "o200k_base",
        "items": 3,
        "dropped": 2,
        "sections": {"code": 120, "buffers": 60, "prompt": 30},
        "files": ["src/a.py", "src/b.py"],
        "redactions": 1,
        "redacted": {"src/b.py": {"github_token": 1}},
    }
