"""TextBuffer against a brute-force reference: random documents, random edit sequences.

The reference keeps one plain string, finds line breaks by scanning it character by
character and turns (line, character) into a string offset by trying every index, so it
shares no code with the buffer.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.core.errors import InvalidArguments
from tandem.core.text import TextBuffer

ENCODINGS = ["utf-8", "utf-16", "utf-32"]
PIECES = [
    "a",
    "b",
    "z ",
    "é",
    "中",
    "😀",
    "𝄞",
    "e\u0301",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\r\r\n",
    "\x0c",
    "\u2028",
]
texts = st.lists(st.sampled_from(PIECES), max_size=24).map("".join)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def units(text: str, encoding: str) -> int:
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    size = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    return len(text.encode(codec)) // size


def reference_lines(text: str) -> list[tuple[int, str]]:
    """(start offset, content without break) of each line, by scanning."""
    lines, start, i = [], 0, 0
    while i < len(text):
        if text[i] in "\r\n":
            brk = 2 if text[i : i + 2] == "\r\n" else 1
            lines.append((start, text[start:i]))
            i += brk
            start = i
        else:
            i += 1
    lines.append((start, text[start:]))
    return lines


def reference_offset(text: str, position, encoding: str) -> int | None:
    """The string offset of a position, or None when the position is invalid."""
    line, character = position
    lines = reference_lines(text)
    if line < 0 or character < 0 or line > len(lines):
        return None
    if line == len(lines):
        return len(text) if character == 0 else None
    start, content = lines[line]
    fits = [i for i in range(len(content) + 1) if units(content[:i], encoding) <= character]
    return start + max(fits)


def reference_edit(text: str, start, end, new: str, encoding: str) -> str | None:
    begin = reference_offset(text, start, encoding)
    stop = reference_offset(text, end, encoding)
    if begin is None or stop is None or begin > stop:
        return None
    return text[:begin] + new + text[stop:]


@st.composite
def positions(draw, text: str, encoding: str, slack: int = 0):
    """A position near the text: valid unless ``slack`` lets it stray outside."""
    lines = reference_lines(text)
    line = draw(st.integers(-slack, len(lines) + slack))
    if line == len(lines) and not slack:
        return line, 0
    content = lines[line][1] if 0 <= line < len(lines) else ""
    return line, draw(st.integers(-slack, units(content, encoding) + 2))


def assert_same(buffer: TextBuffer, text: str) -> None:
    assert buffer.text == text
    assert len(buffer) == len(text)
    contents = [content for _, content in reference_lines(text)]
    assert [buffer.line(i) for i in range(buffer.line_count)] == contents


@pytest.mark.parametrize("encoding", ENCODINGS)
@FUZZ
@given(data=st.data(), initial=texts)
def test_valid_edit_sequences_match_the_reference(encoding, data, initial):
    buffer, text = TextBuffer(initial, encoding), initial
    for _ in range(data.draw(st.integers(1, 8), label="edits")):
        new = data.draw(texts, label="new text")
        if data.draw(st.integers(0, 9), label="full?") == 0:
            buffer.apply_change(None, None, new)
            text = new
        else:
            a = data.draw(positions(text, encoding), label="a")
            b = data.draw(positions(text, encoding), label="b")
            if reference_offset(text, a, encoding) > reference_offset(text, b, encoding):
                a, b = b, a
            buffer.apply_change(a, b, new)
            text = reference_edit(text, a, b, new, encoding)
        assert_same(buffer, text)


@pytest.mark.parametrize("encoding", ENCODINGS)
@FUZZ
@given(data=st.data(), initial=texts, new=texts)
def test_any_edit_either_matches_the_reference_or_raises_and_changes_nothing(
    encoding, data, initial, new
):
    buffer = TextBuffer(initial, encoding)
    start = data.draw(positions(initial, encoding, slack=2), label="start")
    end = data.draw(positions(initial, encoding, slack=2), label="end")
    expected = reference_edit(initial, start, end, new, encoding)
    if expected is None:
        with pytest.raises(InvalidArguments):
            buffer.apply_change(start, end, new)
        assert_same(buffer, initial)
    else:
        buffer.apply_change(start, end, new)
        assert_same(buffer, expected)


@pytest.mark.parametrize("encoding", ENCODINGS)
@FUZZ
@given(data=st.data(), text=texts)
def test_offsets_and_positions_agree_with_the_reference(encoding, data, text):
    buffer = TextBuffer(text, encoding)
    position = data.draw(positions(text, encoding), label="position")
    offset = reference_offset(text, position, encoding)
    assert buffer.offset_at(position) == offset
    line, character = buffer.position_at(offset)
    assert reference_offset(text, (line, character), encoding) == offset
