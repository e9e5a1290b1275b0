from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from tandem.lsp.stdio import LINE_LIMIT, PipeReader, watchable


async def test_messages_are_cut_from_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    body = b'{"jsonrpc": "2.0", "method": "initialized", "params": {}}'
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        reader = PipeReader(pipe)
        try:
            os.write(write_fd, b"Content-Length: %d\r\n\r\n" % len(body) + body + b"Content-Le")
            assert await reader.readline() == b"Content-Length: %d\r\n" % len(body)
            assert await reader.readline() == b"\r\n"
            assert await reader.readexactly(len(body)) == body
            os.write(write_fd, b"ngth: 10\r\n\r\n12345")
            assert await reader.readline() == b"Content-Length: 10\r\n"
            assert await reader.readline() == b"\r\n"
            os.close(write_fd)
            assert await reader.readexactly(10) == b"12345"  # cut short: what there is
            assert await reader.readline() == b""  # and then the end
        finally:
            reader.close()


async def test_an_overlong_header_line_is_read_past() -> None:
    read_fd, write_fd = os.pipe()
    junk = b"x" * (3 * LINE_LIMIT) + b"\r\n"
    writer = threading.Thread(
        target=lambda: (
            os.write(write_fd, junk + b"Content-Length: 2\r\n\r\n{}"),
            os.close(write_fd),
        )
    )
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        reader = PipeReader(pipe)
        writer.start()
        try:
            skipped = []
            while (line := await reader.readline()) != b"Content-Length: 2\r\n":
                assert line.strip() and not line.startswith(b"Content-Length"), line[:20]
                skipped.append(line)
            assert skipped  # the long line came back as junk, never as a header
            assert await reader.readline() == b"\r\n"
            assert await reader.readexactly(2) == b"{}"
        finally:
            reader.close()
            writer.join()


def test_only_a_pipe_or_socket_of_its_own_is_watched(tmp_path: Path) -> None:
    (to_us, editor_writes), (editor_reads, from_us) = os.pipe(), os.pipe()  # as editors spawn
    with os.fdopen(to_us, "rb") as stdin, os.fdopen(from_us, "wb") as stdout:
        assert watchable(stdin, stdout)
    os.close(editor_writes)
    os.close(editor_reads)
    left, right = socket.socketpair()
    with left, right, left.makefile("rb") as stdin, left.makefile("wb") as same:
        assert not watchable(stdin, same)  # one socket both ways: stdout must stay blocking
        with right.makefile("wb") as other:
            assert watchable(stdin, other)
    regular = tmp_path / "input"
    regular.write_bytes(b"")
    with regular.open("rb") as stdin, regular.open("ab") as stdout:
        assert not watchable(stdin, stdout)
