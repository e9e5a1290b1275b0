"""Walking a folder and reading its files as text, on real trees in tmp dirs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.core.ignore import IgnoreRules
from tandem.infra.scan import (
    BROKEN_LINK,
    OUTSIDE,
    SYMLINKED_DIR,
    TOO_LARGE,
    UNREADABLE,
    FileStat,
    is_probably_binary,
    read_text,
    scan,
    scan_dirs,
)

LIMIT = 1000


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def run(root: Path, limit: int = LIMIT):
    return scan(root, IgnoreRules.load(root), limit)


def test_files_with_size_and_mtime(tmp_path: Path) -> None:
    tree(tmp_path, {"a.py": "x = 1\n", "pkg/b.py": "yy\n", "pkg/sub/c.md": ""})
    result = run(tmp_path)
    assert sorted(result.files) == ["a.py", "pkg/b.py", "pkg/sub/c.md"]
    st_a = (tmp_path / "a.py").stat()
    assert result.files["a.py"] == FileStat(size=6, mtime_ns=st_a.st_mtime_ns)
    assert result.dirs == ["", "pkg", "pkg/sub"]
    assert result.skipped == {} and result.pruned == []


def test_ignored_directories_are_pruned_not_walked(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "src/app.py": "",
            "node_modules/react/index.js": "",
            "web/node_modules/x/y.js": "",
            ".git/HEAD": "ref\n",
            "src/__pycache__/app.cpython-311.pyc": b"\0",
            ".gitignore": "*.log\n",
            "debug.log": "",
        },
    )
    result = run(tmp_path)
    assert sorted(result.files) == [".gitignore", "src/app.py"]
    assert sorted(result.pruned) == [".git", "node_modules", "src/__pycache__", "web/node_modules"]
    assert not any("node_modules/" in d for d in result.dirs)


def test_never_lists_inside_an_ignored_directory(tmp_path: Path) -> None:
    tree(tmp_path, {"node_modules/pkg/index.js": "", "src/a.py": "", ".venv/lib/x.py": ""})
    listed = _listed_directories(lambda: run(tmp_path))
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in listed) == [".", "src"]


_AUDIT: list[list[str]] = []


def _audit(event: str, args: tuple) -> None:
    if event == "os.scandir" and _AUDIT:
        _AUDIT[-1].append(os.fspath(args[0]))


sys.addaudithook(_audit)


def _listed_directories(action) -> list[str]:
    """Every directory ``os.scandir`` opened while ``action`` ran (a Python audit hook)."""
    _AUDIT.append([])
    try:
        action()
    finally:
        listed = _AUDIT.pop()
    return listed


def test_too_large_files_are_skipped(tmp_path: Path) -> None:
    tree(tmp_path, {"small.txt": "x" * LIMIT, "big.txt": "x" * (LIMIT + 1)})
    result = run(tmp_path)
    assert list(result.files) == ["small.txt"]
    assert result.skipped == {"big.txt": TOO_LARGE}


def test_symlinks_inside_outside_broken_and_looping(tmp_path: Path) -> None:
    outside = tree(tmp_path / "outside", {"secret.txt": "s", "dir/x.txt": "x"})
    root = tree(tmp_path / "root", {"real.py": "r", "pkg/m.py": "m"})
    (root / "alias.py").symlink_to(root / "real.py")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "leakdir").symlink_to(outside / "dir")
    (root / "pkg_again").symlink_to(root / "pkg")
    (root / "loop").symlink_to(root)  # a loop back to the folder itself
    (root / "pkg" / "self").symlink_to(root / "pkg" / "self")  # a link to itself
    (root / "dangling.py").symlink_to(root / "missing.py")
    result = run(root)
    assert sorted(result.files) == ["alias.py", "pkg/m.py", "real.py"]
    assert result.skipped == {
        "leak.txt": OUTSIDE,
        "leakdir": OUTSIDE,
        "pkg_again": SYMLINKED_DIR,
        "loop": SYMLINKED_DIR,
        "pkg/self": UNREADABLE,
        "dangling.py": BROKEN_LINK,
    }
    assert sorted(result.pruned) == ["leakdir", "loop", "pkg_again"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_directory_is_reported_and_pruned(tmp_path: Path) -> None:
    tree(tmp_path, {"locked/a.py": "", "b.py": ""})
    (tmp_path / "locked").chmod(0)
    try:
        result = run(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert result.skipped == {"locked": UNREADABLE}
    assert "locked" in result.pruned and "locked" not in result.dirs


def test_vanished_root_gives_an_empty_result(tmp_path: Path) -> None:
    result = scan(tmp_path / "gone", IgnoreRules.load(tmp_path), LIMIT)
    assert result.files == {} and result.dirs == []


def test_scan_under_a_subdirectory_keeps_folder_relative_paths(tmp_path: Path) -> None:
    tree(tmp_path, {"a.py": "", "pkg/b.py": "", "pkg/node_modules/c.js": "", "pkg/d/e.py": ""})
    result = scan(tmp_path, IgnoreRules.load(tmp_path), LIMIT, under="pkg")
    assert sorted(result.files) == ["pkg/b.py", "pkg/d/e.py"]
    assert result.pruned == ["pkg/node_modules"]


def test_scan_dirs_lists_directories_only(tmp_path: Path) -> None:
    tree(tmp_path, {"a.py": "", "x/y/z.py": "", "x/node_modules/q.js": ""})
    result = scan_dirs(tmp_path, IgnoreRules.load(tmp_path))
    assert result.files == {}
    assert result.dirs == ["", "x", "x/y"] and result.pruned == ["x/node_modules"]


def test_a_rules_change_takes_effect_on_the_next_scan(tmp_path: Path) -> None:
    tree(tmp_path, {"gen/a.py": "", "src/b.py": ""})
    assert "gen/a.py" in run(tmp_path).files
    (tmp_path / ".gitignore").write_text("gen/\n")
    assert sorted(run(tmp_path).files) == [".gitignore", "src/b.py"]


# -- reading -------------------------------------------------------------------------------


def test_read_text_cases(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "utf8.py": "name = 'Zoë' 😀\n",
            "latin1.txt": "caf\xe9 au lait, " * 3,
            "nul.bin": b"PK\x03\x04\0\0\x14\0",
            "png.bin": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "noise.bin": bytes(range(128, 256)) * 4,
            "empty.txt": "",
            "big.txt": "x" * 101,
        },
    )
    (tmp_path / "latin1.txt").write_bytes("café au lait\n".encode("latin-1") * 20)
    assert read_text(tmp_path / "utf8.py", 100) == "name = 'Zoë' 😀\n"
    latin = read_text(tmp_path / "latin1.txt", 1000)
    assert latin is not None and latin.count("\ufffd") == 20  # mostly text: decoded, replaced
    assert read_text(tmp_path / "nul.bin", 100) is None
    assert read_text(tmp_path / "png.bin", 100) is None
    assert read_text(tmp_path / "noise.bin", 1000) is None
    assert read_text(tmp_path / "empty.txt", 100) == ""
    assert read_text(tmp_path / "big.txt", 100) is None
    assert read_text(tmp_path / "missing.txt", 100) is None
    assert read_text(tmp_path, 100) is None  # a directory


def test_binary_sample_cut_inside_a_character_is_still_text() -> None:
    data = ("a" * 8191 + "é" * 10).encode()  # the 8 KiB sample ends mid-character
    assert not is_probably_binary(data)


@given(st.text().filter(lambda s: "\0" not in s))
def test_any_utf8_text_without_nul_is_text(text: str) -> None:
    assert not is_probably_binary(text.encode("utf-8"))


@given(st.binary(min_size=1, max_size=64))
def test_bytes_with_a_nul_are_binary(data: bytes) -> None:
    assert is_probably_binary(data + b"\0")
