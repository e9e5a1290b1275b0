"""TextBuffer against an obviously-correct reference, in all three position encodings.

The reference (``tests/support/text_reference.py``) keeps the document as a list of
code points and shares no code with the buffer. Out-of-range positions follow the LSP
rules: a character past the end of its line means the end of the line, a line past
the last one means the end of the document; a negative value is not a position and is
refused.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tandem.core.errors import InvalidArguments
from tandem.core.text import TextBuffer
from tests.support import figures
from tests.support.fuzz import fuzz_settings, text
from tests.support.text_reference import (
    ENCODINGS,
    line_spans,
    positions,
    reference_edit,
    reference_index,
)


def assert_same(buffer: TextBuffer, expected: str) -> None:
    assert buffer.text == expected
    assert len(buffer) == len(expected)
    assert buffer.utf8_size == len(expected.encode("utf-8", "surrogatepass"))
    points = list(expected)
    contents = ["".join(points[a:b]) for a, b in line_spans(points)]
    assert [buffer.line(i) for i in range(buffer.line_count)] == contents


def apply_both(buffer: TextBuffer, document: str, start, end, new: str) -> str:
    """Apply one edit to the buffer and the reference; a refused edit changes nothing."""
    expected = reference_edit(document, start, end, new, buffer.encoding)
    figure = "Fuzzing: incremental edits against the reference model"
    figures.add(figure, edits=1, refused=expected is None, **{f"edits_{buffer.encoding}": 1})
    if expected is None:
        with pytest.raises(InvalidArguments):
            buffer.apply_change(start, end, new)
        expected = document
    else:
        buffer.apply_change(start, end, new)
    assert_same(buffer, expected)
    return expected


@pytest.mark.parametrize("encoding", ENCODINGS)
@fuzz_settings(150)
@given(data=st.data(), initial=text)
def test_edit_sequences_match_the_reference(encoding, data, initial):
    """Inserts, deletes, replacements and full replacements, ranges past the ends."""
    buffer, document = TextBuffer(initial, encoding), initial
    for _ in range(data.draw(st.integers(1, 8), label="edits")):
        new = data.draw(text, label="new text")
        if data.draw(st.integers(0, 9), label="whole document?") == 0:
            buffer.apply_change(None, None, new)
            document = new
            assert_same(buffer, document)
            continue
        a = data.draw(positions(document, encoding), label="a")
        b = data.draw(positions(document, encoding), label="b")
        if data.draw(st.booleans(), label="ordered?"):
            a, b = sorted((a, b), key=lambda p: reference_index(list(document), p, encoding))
        document = apply_both(buffer, document, a, b, new)


near = st.tuples(st.integers(-2, 8), st.integers(-2, 12))
"""Any position near a small document: in it, past a line's end, past the last line."""


@pytest.mark.parametrize("encoding", ENCODINGS)
@fuzz_settings(150)
@given(initial=text, new=text, start=near, end=near)
# A line past the last means the end of the document; these were refused, which left
# the buffer behind the editor's.
@example(initial="ab\ncd", new="!", start=(5, 0), end=(7, 3))
@example(initial="ab", new="", start=(0, 1), end=(1, 4))
@example(initial="a\r", new="\n", start=(1, 0), end=(2, 0))
@example(initial="😀x", new="", start=(0, 1), end=(0, 3))
def test_any_edit_matches_the_reference_or_is_refused_whole(encoding, initial, new, start, end):
    apply_both(TextBuffer(initial, encoding), initial, start, end, new)


@pytest.mark.parametrize("encoding", ENCODINGS)
@fuzz_settings(100)
@given(data=st.data(), document=text)
def test_offsets_and_positions_agree_with_the_reference(encoding, data, document):
    buffer = TextBuffer(document, encoding)
    position = data.draw(positions(document, encoding), label="position")
    offset = reference_index(list(document), position, encoding)
    assert buffer.offset_at(position) == offset
    line, character = buffer.position_at(offset)
    assert reference_index(list(document), (line, character), encoding) == offset
    assert (line, character) <= position


@pytest.mark.parametrize("encoding", ENCODINGS)
@fuzz_settings(50)
@given(data=st.data(), document=text)
def test_typing_one_code_point_at_a_time_rebuilds_the_document(encoding, data, document):
    """An editor typing a document in: each insert at the position the last one ended."""
    buffer = TextBuffer("", encoding)
    for i, point in enumerate(document):
        buffer.apply_change(buffer.position_at(i), buffer.position_at(i), point)
    assert_same(buffer, document)
    if document:
        cut = data.draw(st.integers(0, len(document)), label="cut")
        if document[cut - 1 : cut + 1] == "\r\n":
            cut -= 1  # no position lies between the two halves of a break
        buffer.apply_change(buffer.position_at(cut), (buffer.line_count + 1, 0), "")
        assert_same(buffer, document[:cut])
