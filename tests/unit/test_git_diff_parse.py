"""Parsing unified diffs (as ``git diff`` prints them) into files and hunks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tandem.core.diffs import FileDiff, Hunk, parse_unified_diff

MODIFIED = """\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,3 @@ def main():
 a = 1
-b = 2
+b = 3
 c = 4
@@ -10,2 +10,3 @@ class X:
 x = 1
+y = 2
 z = 3
"""

NEW_DELETED_RENAMED = """\
diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000..3b18e51
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 3b18e51..0000000
--- a/old.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-one
-two
diff --git a/lib/before.py b/lib/after.py
similarity index 90%
rename from lib/before.py
rename to lib/after.py
index 1111111..2222222 100644
--- a/lib/before.py
+++ b/lib/after.py
@@ -1 +1 @@
-x = 1
+x = 2
diff --git a/pure_rename.md b/moved/pure_rename.md
similarity index 100%
rename from pure_rename.md
rename to moved/pure_rename.md
diff --git a/logo.png b/logo.png
index 1111111..2222222 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
"""

QUOTED = """\
diff --git "a/caf\\303\\251 menu.txt" "b/caf\\303\\251 menu.txt"
index 1111111..2222222 100644
--- "a/caf\\303\\251 menu.txt"
+++ "b/caf\\303\\251 menu.txt"
@@ -1 +1 @@
-a
+b
diff --git a/my file.txt b/my file.txt
index 1111111..2222222 100644
--- a/my file.txt\t
+++ b/my file.txt\t
@@ -1 +1 @@
-a
+b
diff --git "a/tab\\tname" "b/tab\\tname"
new file mode 100644
index 0000000..2222222
--- /dev/null
+++ "b/tab\\tname"
@@ -0,0 +1 @@
+x
"""


def test_hunks_of_a_modified_file() -> None:
    [diff] = parse_unified_diff(MODIFIED)
    assert (diff.path, diff.old_path, diff.status, diff.is_binary) == (
        "src/app.py",
        None,
        "modified",
        False,
    )
    assert [h.header for h in diff.hunks] == [
        "@@ -1,3 +1,3 @@ def main():",
        "@@ -10,2 +10,3 @@ class X:",
    ]
    assert diff.hunks[0].lines == [" a = 1", "-b = 2", "+b = 3", " c = 4"]
    assert diff.hunks[1].old_range == (10, 2) and diff.hunks[1].new_range == (10, 3)
    assert diff.hunks[1].text == "@@ -10,2 +10,3 @@ class X:\n x = 1\n+y = 2\n z = 3"
    assert diff.header[0] == "diff --git a/src/app.py b/src/app.py"


def test_new_deleted_renamed_binary_and_mode_only() -> None:
    files = parse_unified_diff(NEW_DELETED_RENAMED)
    summary = [(f.path, f.old_path, f.status, f.is_binary, len(f.hunks)) for f in files]
    assert summary == [
        ("new.txt", None, "added", False, 1),
        ("old.txt", None, "deleted", False, 1),
        ("lib/after.py", "lib/before.py", "renamed", False, 1),
        ("moved/pure_rename.md", "pure_rename.md", "renamed", False, 0),
        ("logo.png", None, "modified", True, 0),
        ("run.sh", None, "modified", False, 0),
    ]
    assert files[0].hunks[0] == Hunk("@@ -0,0 +1 @@", ["+hello", "\\ No newline at end of file"])
    assert files[0].hunks[0].new_range == (1, 1)
    assert files[1].hunks[0].lines == ["-one", "-two"]


def test_quoted_and_spaced_paths() -> None:
    files = parse_unified_diff(QUOTED)
    assert [f.path for f in files] == ["café menu.txt", "my file.txt", "tab\tname"]


def test_hunk_body_that_looks_like_a_header() -> None:
    text = (
        "diff --git a/d.patch b/d.patch\n--- a/d.patch\n+++ b/d.patch\n"
        "@@ -1,2 +1,2 @@\n-diff --git a/x b/x\n+diff --git a/y b/y\n @@ -1 +1 @@\n"
    )
    [diff] = parse_unified_diff(text)
    assert diff.hunks[0].lines == ["-diff --git a/x b/x", "+diff --git a/y b/y", " @@ -1 +1 @@"]


def test_text_before_the_first_file_is_skipped() -> None:
    assert parse_unified_diff("") == []
    assert parse_unified_diff("warning: something\n") == []
    assert [f.path for f in parse_unified_diff("noise\n" + MODIFIED)] == ["src/app.py"]


lines = st.lists(st.text(st.characters(blacklist_characters="\n\r"), max_size=12), max_size=6)


@given(st.lists(st.tuples(st.sampled_from(" +-"), lines), min_size=1, max_size=5))
def test_hunk_lines_round_trip(chunks: list[tuple[str, list[str]]]) -> None:
    body = [mark + text for mark, texts in chunks for text in texts] or [" x"]
    old = sum(1 for line in body if line[0] != "+")
    new = sum(1 for line in body if line[0] != "-")
    header = f"@@ -1,{old} +1,{new} @@"
    text = "\n".join(["diff --git a/f b/f", "--- a/f", "+++ b/f", header, *body]) + "\n"
    diff, following = parse_unified_diff(text + MODIFIED)
    assert diff == FileDiff("f", None, [Hunk(header, body)], header=diff.header)
    assert following.path == "src/app.py" and len(following.hunks) == 2
