"""Fixed prompts for context assembly: what a developer would ask in these workspaces.

Each pairs a question with the file open in the editor when it is asked (folder-relative
path inside the standard library, or ``None``). W10k holds the standard library under
``stdlib/``, so its stdlib prompts get that prefix; it adds questions about the packages.
"""

from __future__ import annotations

Prompt = tuple[str, str | None]

STDLIB: tuple[Prompt, ...] = (
    ("How does the JSON encoder decide how to escape a string?", "json/encoder.py"),
    ("Why does json.loads raise JSONDecodeError with a line and column?", "json/decoder.py"),
    ("Where does asyncio cancel a task, and how does it propagate CancelledError?", None),
    ("How does asyncio.wait_for handle a timeout of zero?", "asyncio/tasks.py"),
    ("Explain how subprocess.run captures output and enforces the timeout.", None),
    ("How does pathlib resolve symlinks in Path.resolve(strict=False)?", "pathlib.py"),
    ("What does functools.lru_cache do when typed=True?", "functools.py"),
    ("How are dataclass __eq__ and __hash__ generated for frozen dataclasses?", None),
    ("Where does logging's FileHandler open the file lazily with delay=True?", None),
    ("How does http.client handle chunked transfer encoding in a response?", None),
    ("Why would shutil.copytree fail on a symlink loop and how is it handled?", "shutil.py"),
    ("How does the re module cache compiled patterns?", "re/__init__.py"),
    ("Explain how argparse formats the usage line when it is too long.", "argparse.py"),
    ("How does sqlite3 adapt Python datetime values, and why is it deprecated?", None),
    ("Where does zipfile validate the CRC of an extracted member?", None),
    ("How does unittest.mock.patch find the object to replace?", None),
    ("What happens in threading.Thread.join when the thread is a daemon?", None),
    ("How does tempfile choose the directory for NamedTemporaryFile?", "tempfile.py"),
    ("Explain the tokenize module's handling of f-strings.", None),
    ("Where does email.message parse a multipart boundary?", None),
)

PACKAGES: tuple[Prompt, ...] = (
    ("How does Django's QuerySet.select_related build the joins?", None),
    ("Where does Django run a migration's RunPython operation backwards?", None),
    ("How does sympy simplify trigonometric expressions in trigsimp?", None),
    ("How does sympy's solve handle a system of linear equations?", None),
    ("How does a Pygments RegexLexer pick the next state on a token match?", None),
    ("Where does the Django CSRF middleware compare the token?", None),
)


def w2k() -> list[Prompt]:
    return list(STDLIB)


def w10k() -> list[Prompt]:
    """14 stdlib questions and the 6 package questions: 20 in all."""
    stdlib = [(text, f"stdlib/{focus}" if focus else None) for text, focus in STDLIB[:14]]
    return stdlib + list(PACKAGES)


def quick() -> list[Prompt]:
    return [
        ("Where is function_7_3 defined and what does it return?", "pkg7/module_7.py"),
        ("Which modules handle parsing, caching and retries?", None),
        ("What does function_42_5 compute?", None),
    ]
