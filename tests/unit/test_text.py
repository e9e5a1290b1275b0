"""TextBuffer: edits by LSP positions in each position encoding, by example."""

from __future__ import annotations

import pytest

from tandem.core.errors import InvalidArguments
from tandem.core.text import TextBuffer, split_lines


def lines_of(buffer: TextBuffer) -> list[str]:
    return [buffer.line(i) for i in range(buffer.line_count)]


def edited(text: str, start, end, new: str, encoding="utf-16") -> str:
    buffer = TextBuffer(text, encoding)
    buffer.apply_change(start, end, new)
    assert len(buffer) == len(buffer.text)
    return buffer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [""]),
        ("a", ["a"]),
        ("a\n", ["a\n", ""]),
        ("a\r\nb", ["a\r\n", "b"]),
        ("a\rb", ["a\r", "b"]),
        ("\r\r\n\n", ["\r", "\r\n", "\n", ""]),
        ("a\x0bb\x0cc\u2028d\x85e", ["a\x0bb\x0cc\u2028d\x85e"]),  # not LSP line breaks
    ],
)
def test_split_lines_keeps_only_lsp_breaks(text, expected):
    assert split_lines(text) == expected
    assert TextBuffer(text).line_count == len(expected)


def test_insert_delete_replace_in_one_line():
    assert edited("hello world", (0, 5), (0, 5), ",") == "hello, world"
    assert edited("hello world", (0, 5), (0, 11), "") == "hello"
    assert edited("hello world", (0, 6), (0, 11), "there") == "hello there"


def test_insert_with_every_kind_of_line_break():
    buffer = TextBuffer("ab")
    buffer.apply_change((0, 1), (0, 1), "1\n2\r\n3\r4")
    assert buffer.text == "a1\n2\r\n3\r4b"
    assert lines_of(buffer) == ["a1", "2", "3", "4b"]


def test_edit_spanning_lines_joins_them():
    text = "one\ntwo\r\nthree\rfour"
    assert edited(text, (0, 1), (3, 2), "X") == "oXur"
    assert edited(text, (1, 3), (2, 0), "") == "one\ntwothree\rfour"


def test_deleting_a_whole_line_and_inserting_one():
    assert edited("a\nb\nc", (1, 0), (2, 0), "") == "a\nc"
    assert edited("a\nc", (1, 0), (1, 0), "b\n") == "a\nb\nc"


def test_cr_before_inserted_lf_becomes_one_crlf_break():
    buffer = TextBuffer("a\rb")
    buffer.apply_change((1, 0), (1, 0), "\n")
    assert buffer.text == "a\r\nb"
    assert lines_of(buffer) == ["a", "b"]


def test_deleting_between_cr_and_lf_joins_them():
    buffer = TextBuffer("a\rX\nb")
    buffer.apply_change((1, 0), (1, 1), "")
    assert buffer.text == "a\r\nb"
    assert buffer.line_count == 2


def test_inserted_cr_before_an_existing_lf_joins_it():
    buffer = TextBuffer("a\nb")
    buffer.apply_change((0, 1), (0, 1), "\r")
    assert buffer.text == "a\r\nb"
    assert lines_of(buffer) == ["a", "b"]


def test_lone_cr_is_a_line_break():
    buffer = TextBuffer("a\rb\rc")
    assert lines_of(buffer) == ["a", "b", "c"]
    buffer.apply_change((1, 0), (1, 1), "B")
    assert buffer.text == "a\rB\rc"


def test_splitting_a_crlf_by_removing_the_lf_leaves_a_lone_cr():
    buffer = TextBuffer("a\r\nb")
    buffer.apply_change((0, 1), (1, 0), "\r")
    assert lines_of(buffer) == ["a", "b"]
    buffer.apply_change((0, 1), (1, 0), "")
    assert lines_of(buffer) == ["ab"]


@pytest.mark.parametrize(
    ("encoding", "after_emoji", "after_x"),
    [("utf-16", 2, 3), ("utf-8", 4, 5), ("utf-32", 1, 2)],
)
def test_astral_characters_in_each_encoding(encoding, after_emoji, after_x):
    text = "😀x\n"
    assert edited(text, (0, after_emoji), (0, after_x), "y", encoding) == "😀y\n"
    assert edited(text, (0, 0), (0, after_emoji), "", encoding) == "x\n"
    buffer = TextBuffer(text, encoding)
    assert buffer.position_at(1) == (0, after_emoji)
    assert buffer.offset_at((0, after_x)) == 2


@pytest.mark.parametrize(("encoding", "inside"), [("utf-16", [1]), ("utf-8", [1, 2, 3])])
def test_offset_inside_a_character_rounds_to_its_start(encoding, inside):
    for character in inside:
        assert edited("😀", (0, character), (0, character), "a", encoding) == "a😀"


def test_utf8_counts_bytes_of_two_and_three_byte_characters():
    # "é" is 2 bytes, "中" is 3 bytes.
    assert edited("é中z", (0, 2), (0, 5), "-", "utf-8") == "é-z"
    assert edited("é中z", (0, 1), (0, 1), "-", "utf-8") == "-é中z"
    assert edited("é中z", (0, 4), (0, 4), "-", "utf-8") == "é-中z"


def test_combining_marks_are_separate_code_points():
    text = "e\u0301x"  # e + combining acute accent
    assert edited(text, (0, 1), (0, 2), "", "utf-16") == "ex"
    assert edited(text, (0, 1), (0, 2), "", "utf-8") == text  # 2 is inside the 2-byte mark
    assert edited(text, (0, 1), (0, 3), "", "utf-8") == "ex"


def test_character_past_the_end_of_a_line_clamps_before_its_break():
    assert edited("ab\r\ncd", (0, 99), (0, 99), "!") == "ab!\r\ncd"
    assert edited("ab\r\ncd", (1, 99), (1, 99), "!") == "ab\r\ncd!"


def test_line_past_the_last_means_end_of_document():
    assert edited("ab\ncd", (3, 0), (3, 0), "!") == "ab\ncd!"
    assert edited("ab\ncd", (0, 1), (4, 0), "") == "a"
    assert edited("ab\ncd", (2, 1), (9, 9), "!") == "ab\ncd!"


def test_line_count_position_means_end_of_document():
    assert edited("ab\n", (0, 1), (2, 0), "") == "a"
    assert edited("ab\ncd", (1, 1), (2, 0), "") == "ab\nc"
    assert edited("ab", (1, 0), (1, 0), "!") == "ab!"


def test_full_replacement():
    buffer = TextBuffer("old\ntext")
    buffer.apply_change(None, None, "new\r\ntext\r\n")
    assert buffer.text == "new\r\ntext\r\n"
    assert lines_of(buffer) == ["new", "text", ""]
    assert len(buffer) == 11


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ((-1, 0), (0, 0), "negative"),
        ((0, 0), (0, -1), "negative"),
        ((1, 1), (0, 2), "after its end"),
        ((0, 2), (0, 1), "after its end"),
        ((0, 0), None, "both a start and an end"),
        (None, (0, 0), "both a start and an end"),
    ],
)
def test_invalid_edits_raise_and_change_nothing(start, end, message):
    buffer = TextBuffer("ab\ncd")
    with pytest.raises(InvalidArguments, match=message):
        buffer.apply_change(start, end, "X\nY")
    assert buffer.text == "ab\ncd"
    assert lines_of(buffer) == ["ab", "cd"]
    assert len(buffer) == 5


def test_text_is_recomputed_after_each_edit():
    buffer = TextBuffer("abc")
    assert buffer.text == "abc"
    buffer.apply_change((0, 3), (0, 3), "d")
    assert buffer.text == "abcd"
    buffer.apply_change((0, 0), (0, 1), "")
    assert buffer.text == "bcd"


def test_offset_and_position_round_trip_across_line_breaks():
    buffer = TextBuffer("ab\r\n😀c\rd\n", "utf-16")
    assert [buffer.offset_at(p) for p in [(0, 0), (0, 2), (1, 0), (1, 3), (2, 0), (3, 0)]] == [
        0,
        2,
        4,
        6,
        7,
        9,
    ]
    assert buffer.position_at(3) == (0, 2)  # between "\r" and "\n": end of the line
    assert [buffer.position_at(o) for o in (4, 5, 6, 7, 9)] == [
        (1, 0),
        (1, 2),
        (1, 3),
        (2, 0),
        (3, 0),
    ]
    with pytest.raises(InvalidArguments):
        buffer.position_at(10)


def test_line_out_of_range_raises():
    with pytest.raises(InvalidArguments):
        TextBuffer("a").line(1)
