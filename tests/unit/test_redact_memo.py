"""The redaction memo gives exactly what :func:`redact` gives, block by block or whole.

Large texts are redacted a window at a time; the property here plants secrets of every
kind at random lines of real code (so some sit on or near block cuts), edits the text
the way typing does, and compares every result with a scan of the whole text.
"""

from __future__ import annotations

import inspect
import json
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tandem.core.redact import redact
from tandem.core.redact_memo import BLOCK, MARGIN, PIECEWISE_MIN, RedactionMemo, blocks
from tests.support.fuzz import fuzz_settings
from tests.unit.test_redact import PLANTED

CODE_LINES = (inspect.getsource(json.decoder) + inspect.getsource(json.encoder)).split("\n")
PLANTED_LINES = [template.format(s=secret) for _, template, secret in PLANTED]
FILLER_LINES = [*CODE_LINES, "", "", " " * 40, "x = 1"]


def big_text(picks: list[int], lines: int = 9_000) -> str:
    body = (CODE_LINES * (lines // len(CODE_LINES) + 1))[:lines]
    for n, pick in enumerate(picks):
        at = (pick * 7_919 + n * 104_729) % len(body)
        body.insert(at, PLANTED_LINES[pick % len(PLANTED_LINES)])
    return "\n".join(body) + "\n"


def test_a_large_text_is_cut_into_blocks_at_blank_lines() -> None:
    text = big_text([])
    assert len(text) >= PIECEWISE_MIN
    cuts = blocks(text)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(cuts))
    assert all(end - start >= BLOCK // 2 for start, end in cuts)
    assert all(text[end - 1 : end + 1] == "\n\n" for _, end in cuts[:-1])


def test_an_edit_moves_no_cut_but_its_own_blocks() -> None:
    text = big_text([])
    edited = text[:40_000] + "z" + text[40_000:]
    before = [end for _, end in blocks(text)]
    after = [end for _, end in blocks(edited)]
    moved = [(a, b) for a, b in zip(before, after, strict=True) if b not in (a, a + 1)]
    assert not moved
    assert sum(b == a + 1 for a, b in zip(before, after, strict=True)) == sum(
        a > 40_000 for a in before
    )


@fuzz_settings(60)
@given(
    picks=st.lists(st.integers(0, 10_000), min_size=0, max_size=40),
    edits=st.lists(
        st.tuples(st.integers(0, 10**9), st.integers(0, 40), st.sampled_from(FILLER_LINES)),
        max_size=4,
    ),
)
def test_block_by_block_equals_a_whole_scan(
    picks: list[int], edits: list[tuple[int, int, str]]
) -> None:
    memo = RedactionMemo()
    text = big_text(picks)
    assert memo.redact(text) == redact(text)
    for at, cut, insert in edits:
        at %= len(text)
        text = text[:at] + insert + "\n" + text[at + cut :]
        assert memo.redact(text) == redact(text)


@fuzz_settings(40)
@given(
    pick=st.integers(0, len(PLANTED_LINES) - 1),
    shift=st.integers(-MARGIN - 200, MARGIN + 200),
    block=st.integers(0, 3),
)
def test_a_secret_on_a_block_cut_is_found_once(pick: int, shift: int, block: int) -> None:
    text = big_text([])
    cut = blocks(text)[block][1]
    at = text.rfind("\n", 0, max(1, cut + shift)) + 1
    text = text[:at] + PLANTED_LINES[pick] + "\n" + text[at:]
    result = RedactionMemo().redact(text)
    assert result == redact(text)
    assert len(result.findings) >= 1


def test_a_private_key_block_makes_the_whole_text_one_scan() -> None:
    key = next(line for line in PLANTED_LINES if "-----END" in line)
    body = big_text([])
    at = blocks(body)[1][1] - 30  # the key straddles a cut
    text = body[:at] + "\n" + key + "\n" + body[at:]
    result = RedactionMemo().redact(text)
    assert result == redact(text)
    assert "[REDACTED:private_key]" in result.text


def test_unchanged_windows_are_not_scanned_again() -> None:
    memo = RedactionMemo()
    text = big_text([1, 2, 3])
    memo.redact(text)
    windows = len(memo._results)
    edited = text[:50_000] + "q" + text[50_000:]
    assert memo.redact(edited) == redact(edited)
    assert len(memo._results) - windows <= 2
