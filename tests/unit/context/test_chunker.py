from __future__ import annotations

import textwrap

from tandem.core.context.chunker import MAX_LINES, Chunk, chunk_file, split_lines


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _by_name(chunks: list[Chunk]) -> dict[str | None, Chunk]:
    return {c.name: c for c in chunks}


def _covered(chunks: list[Chunk]) -> list[int]:
    return [line for c in chunks for line in range(c.start_line, c.end_line + 1)]


def _assert_covers_non_blank_once(text: str, chunks: list[Chunk]) -> None:
    lines = split_lines(text)
    covered = _covered(chunks)
    assert len(covered) == len(set(covered)), "a line is in two chunks"
    assert {i for i, line in enumerate(lines) if line.strip()} <= set(covered)
    for chunk in chunks:
        assert chunk.text == "\n".join(lines[chunk.start_line : chunk.end_line + 1])


def _long_function(name: str, body_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    value_{i} = compute({i})\n" for i in range(body_lines))
    return f"{indent}def {name}(alpha, beta):\n{body}{indent}    return value_0\n"


PY = _src(
    '''
    """Module docstring."""
    import os
    import sys

    LIMIT = 10


    def first(a, b):
        """Add."""
        total = a + b
        more = total * 2
        even_more = more * 2
        return even_more + total


    # helps with second
    @decorator
    @other(
        option=True,
    )
    def second(x):
        text = """
    def not_a_function():
        pass
    """
        y = x + 1
        z = y + 1
        return text, z


    class Small(Base):
        """A small class."""

        def method(self):
            return 1

        def other(self):
            return 2
    '''
)


def test_python_functions_classes_and_module_blocks() -> None:
    chunks = chunk_file("pkg/mod.py", PY)
    kinds = [(c.kind, c.name) for c in chunks]
    assert kinds == [
        ("block", None),
        ("function", "first"),
        ("function", "second"),
        ("class", "Small"),
    ]
    _assert_covers_non_blank_once(PY, chunks)


def test_python_line_ranges_are_zero_based_and_inclusive() -> None:
    chunks = _by_name(chunk_file("pkg/mod.py", PY))
    lines = PY.splitlines()
    first = chunks["first"]
    assert lines[first.start_line] == "def first(a, b):"
    assert lines[first.end_line] == "    return even_more + total"
    assert chunks[None].start_line == 0
    assert lines[chunks[None].end_line] == "LIMIT = 10"


def test_python_decorators_and_comment_above_belong_to_the_definition() -> None:
    second = _by_name(chunk_file("pkg/mod.py", PY))["second"]
    assert second.text.startswith("# helps with second\n@decorator\n@other(")
    assert second.text.endswith("    return text, z")
    assert second.defs == (("second", PY.splitlines().index("def second(x):")),)


def test_python_code_inside_strings_is_not_a_definition() -> None:
    names = [name for c in chunk_file("pkg/mod.py", PY) for name, _ in c.defs]
    assert "not_a_function" not in names


def test_python_small_class_is_one_chunk_listing_its_methods() -> None:
    small = _by_name(chunk_file("pkg/mod.py", PY))["Small"]
    assert [name for name, _ in small.defs] == ["Small", "Small.method", "Small.other"]
    assert small.header is None


def test_python_big_class_is_split_into_methods_with_the_class_line_as_header() -> None:
    methods = "\n".join(_long_function(f"step_{i}", 30, "    ") for i in range(4))
    text = f"class Pipeline(Base):\n    '''Runs steps.'''\n\n    retries = 3\n\n{methods}"
    chunks = chunk_file("pipe.py", text)
    # the short class head (class line, docstring, attributes) opens the first method
    assert chunks[0].kind == "class" and chunks[0].name == "Pipeline"
    assert chunks[0].text.startswith("class Pipeline(Base):")
    assert ("Pipeline.step_0", 5) in chunks[0].defs
    assert [c.name for c in chunks[1:]] == [f"Pipeline.step_{i}" for i in range(1, 4)]
    assert all(c.kind == "method" for c in chunks[1:])
    assert all(c.header == "class Pipeline(Base):" for c in chunks[1:])
    assert ("Pipeline", 0) in chunks[0].defs
    _assert_covers_non_blank_once(text, chunks)


def test_long_function_is_split_and_parts_repeat_the_signature() -> None:
    text = _long_function("huge", 3 * MAX_LINES)
    chunks = chunk_file("big.py", text)
    assert len(chunks) >= 3
    assert all(c.name == "huge" and c.kind == "function" for c in chunks)
    assert all(c.end_line - c.start_line + 1 <= MAX_LINES for c in chunks)
    assert chunks[0].header is None
    assert all(c.header == "def huge(alpha, beta):" for c in chunks[1:])
    assert chunks[0].defs == (("huge", 0),) and all(not c.defs for c in chunks[1:])
    _assert_covers_non_blank_once(text, chunks)


def test_python_with_syntax_errors_still_chunks() -> None:
    text = "def broken(:\n    pass\n\n\ndef fine():\n    return 1\n\nclass\n"
    chunks = chunk_file("broken.py", text)
    assert chunks
    _assert_covers_non_blank_once(text, chunks)
    assert any(name == "fine" for c in chunks for name, _ in c.defs)


def test_tiny_neighbours_are_merged() -> None:
    text = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(6))
    chunks = chunk_file("tiny.py", text)
    assert len(chunks) < 6
    assert [name for c in chunks for name, _ in c.defs] == [f"f{i}" for i in range(6)]


JS = _src(
    """
    import { thing } from "./thing";

    // Adds two numbers.
    export function add(a, b) {
      const sum = a + b;

      return sum;
    }

    export const multiply = (a, b) => {
      return a * b;
    };

    class Counter {
      constructor() {
        this.count = 0;
      }
    }
    """
)


def test_javascript_definitions_by_keyword() -> None:
    chunks = chunk_file("src/math.js", JS)
    names = [name for c in chunks for name, _ in c.defs]
    assert names == ["add", "multiply", "Counter"]
    add = next(c for c in chunks if ("add", 3) in c.defs)
    assert "// Adds two numbers." in add.text
    assert "return sum;" in add.text
    _assert_covers_non_blank_once(JS, chunks)


GO = _src(
    """
    package main

    import "fmt"

    type Server struct {
    \tname string
    }

    func (s *Server) Start() error {
    \tfmt.Println(s.name)

    \treturn nil
    }

    func main() {
    \tfmt.Println("hi")
    }
    """
)


def test_go_types_and_functions() -> None:
    chunks = chunk_file("main.go", GO)
    names = [name for c in chunks for name, _ in c.defs]
    assert "Server" in names and "main" in names
    start = next(c for c in chunks if "func (s *Server) Start() error {" in c.text)
    assert start.text.rstrip().endswith("}")
    _assert_covers_non_blank_once(GO, chunks)


def test_rust_impl_is_split_one_level_deeper_when_long() -> None:
    body = "".join(f"        let v{j} = {j};\n" for j in range(30))
    fns = "\n".join(
        f"    pub fn method_{i}(&self) -> u32 {{\n{body}        0\n    }}\n" for i in range(4)
    )
    text = f"pub struct Engine;\n\nimpl Engine {{\n{fns}}}\n"
    chunks = chunk_file("engine.rs", text)
    names = [c.name for c in chunks]
    assert "Engine.method_1" in names and "Engine.method_3" in names
    assert any(("Engine.method_0", 3) in c.defs for c in chunks)
    method = next(c for c in chunks if c.name == "Engine.method_2")
    assert method.kind == "method"
    assert method.header is not None and method.header.startswith("impl Engine {")
    assert all(c.end_line - c.start_line + 1 <= MAX_LINES for c in chunks)
    _assert_covers_non_blank_once(text, chunks)


MD = _src(
    """
    Intro line.

    # Title

    Some text.

    ## Install

    ```sh
    # not a heading
    pip install thing
    ```

    ## Usage

    Use it.
    Use it again.
    And again.
    And once more.
    """
)


def test_markdown_sections_by_heading() -> None:
    chunks = chunk_file("README.md", MD)
    sections = [(c.kind, c.name) for c in chunks if c.kind == "section"]
    assert sections == [("section", "Title"), ("section", "Install"), ("section", "Usage")]
    install = _by_name(chunks)["Install"]
    assert install.text.startswith("## Install")
    assert install.text.endswith("```")
    assert chunks[0].text.startswith("Intro line.")  # a tiny preamble joins the next section
    _assert_covers_non_blank_once(MD, chunks)


def test_rst_sections_by_underline_and_overline() -> None:
    body = "\n".join(f"Line {i}." for i in range(8))
    text = f"=====\nGuide\n=====\n\n{body}\n\nSetup\n-----\n\n{body}\n"
    chunks = chunk_file("docs/guide.rst", text)
    assert [c.name for c in chunks] == ["Guide", "Setup"]
    assert chunks[0].start_line == 0
    assert chunks[1].start_line == 13


def test_small_sections_merge_into_one_chunk() -> None:
    text = "Guide\n=====\n\nIntro.\n\nSetup\n-----\n\nDo this.\n"
    chunks = chunk_file("docs/guide.rst", text)
    assert [(c.kind, c.start_line, c.end_line) for c in chunks] == [("section", 0, 8)]


def test_long_section_parts_repeat_the_heading() -> None:
    body = "\n\n".join(f"Paragraph {i} about the topic." for i in range(MAX_LINES))
    text = f"# Topic\n\n{body}\n"
    chunks = chunk_file("notes.md", text)
    assert len(chunks) > 1
    assert all(c.name == "Topic" for c in chunks)
    assert all(c.header == "# Topic" for c in chunks[1:])


def test_crlf_and_cr_line_endings_count_like_lsp() -> None:
    text = "def a():\r\n    return 1\r\n\r\n\r\ndef b():\r    return 2\r"
    assert split_lines(text) == ["def a():", "    return 1", "", "", "def b():", "    return 2"]
    chunks = chunk_file("x.py", text)
    assert (chunks[0].start_line, chunks[-1].end_line) == (0, 5)


def test_minified_lines_are_capped_by_characters() -> None:
    text = ("var a=1;" * 400 + "\n") * 10
    chunks = chunk_file("app.min.js", text)
    assert len(chunks) >= 5
    _assert_covers_non_blank_once(text, chunks)


def test_empty_and_blank_files_have_no_chunks() -> None:
    assert chunk_file("empty.py", "") == []
    assert chunk_file("blank.txt", "\n  \n\n") == []
